#define _GNU_SOURCE
#include <spawn.h>
#include <sys/socket.h>
#include <sys/types.h>
#include "CB00tSystem.h"
#include <signal.h>
#include <string.h>

static volatile sig_atomic_t b00t_caught = 0;
static void b00t_on_signal(int sig) { (void)sig; b00t_caught = 1; }

int b00t_catch_signal(int sig) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = b00t_on_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0; /* no SA_RESTART */
    return sigaction(sig, &action, NULL);
}

int b00t_take_caught_signal(void) {
    int was = b00t_caught;
    b00t_caught = 0;
    return was;
}

int b00t_spawn_addclosefrom(posix_spawn_file_actions_t *actions, int from) {
    return posix_spawn_file_actions_addclosefrom_np(actions, from);
}

int b00t_spawn_addchdir(posix_spawn_file_actions_t *actions, const char *path) {
    return posix_spawn_file_actions_addchdir_np(actions, path);
}

short b00t_spawn_setsid_flag(void) { return POSIX_SPAWN_SETSID; }

int b00t_peer_credentials(int fd, uid_t *uid, pid_t *pid) {
    struct ucred cred;
    socklen_t len = sizeof(cred);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return -1;
    *uid = cred.uid;
    *pid = cred.pid;
    return 0;
}

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

int b00t_open_pty(int *follower) {
    int leader = posix_openpt(O_RDWR | O_NOCTTY);
    if (leader < 0) return -1;
    if (grantpt(leader) != 0 || unlockpt(leader) != 0) { close(leader); return -1; }
    char *name = ptsname(leader);
    if (name == NULL) { close(leader); return -1; }
    int fd = open(name, O_RDWR | O_NOCTTY);
    if (fd < 0) { close(leader); return -1; }
    *follower = fd;
    return leader;
}
