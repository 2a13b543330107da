#ifndef CB00TSYSTEM_H
#define CB00TSYSTEM_H
#include <spawn.h>
#include <sys/types.h>

/* glibc declares these only under _GNU_SOURCE, which Swift's Glibc module is not built with. */

/** posix_spawn_file_actions_addclosefrom_np: close every inherited descriptor >= from in the child. */
int b00t_spawn_addclosefrom(posix_spawn_file_actions_t *actions, int from);
/** posix_spawn_file_actions_addchdir_np: run the child in directory path. */
int b00t_spawn_addchdir(posix_spawn_file_actions_t *actions, const char *path);
/** The POSIX_SPAWN_SETSID flag: the child starts a new session (and process group). */
short b00t_spawn_setsid_flag(void);
/** SO_PEERCRED: the uid and pid of the process at the other end of a Unix socket; 0 on success. */
int b00t_peer_credentials(int fd, uid_t *uid, pid_t *pid);

/** Catches `sig` into a flag without SA_RESTART, so a blocking read (libedit's) returns EINTR instead of the
    default action ending the process: line mode turns ^C into "clear the line" or "cancel the command". */
int b00t_catch_signal(int sig);
/** 1 if the caught signal arrived since the last call (and clears it), else 0. */
int b00t_take_caught_signal(void);

/// A pseudo-terminal pair (leader returned, follower through the pointer), both O_NOCTTY; -1 on failure (errno).
/// For benchmarks and tests that drive k0mmand3r like a terminal would.
int b00t_open_pty(int *follower);

#endif
