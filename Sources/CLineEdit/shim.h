#ifndef CLINEEDIT_SHIM_H
#define CLINEEDIT_SHIM_H
#include <stdio.h>
#include <histedit.h>

/* history(3) and el_set(3) are variadic and do not import into Swift: fixed-arity wrappers. */

static inline History *b00t_history_open(int size) {
    History *h = history_init();
    if (!h) return h;
    HistEvent ev;
    history(h, &ev, H_SETSIZE, size);
    history(h, &ev, H_SETUNIQUE, 1);
    return h;
}

static inline int b00t_history_enter(History *h, const char *line) {
    HistEvent ev;
    return history(h, &ev, H_ENTER, line);
}

static inline int b00t_history_load(History *h, const char *path) {
    HistEvent ev;
    return history(h, &ev, H_LOAD, path);
}

static inline int b00t_history_save(History *h, const char *path) {
    HistEvent ev;
    return history(h, &ev, H_SAVE, path);
}

/* Walks history from newest (index 0) to oldest; returns NULL past the end. */
static inline const char *b00t_history_at(History *h, int index) {
    HistEvent ev;
    if (history(h, &ev, H_FIRST) < 0) return NULL;
    for (int i = 0; i < index; i++) {
        if (history(h, &ev, H_NEXT) < 0) return NULL;
    }
    return ev.str;
}

static inline int b00t_history_count(History *h) {
    HistEvent ev;
    if (history(h, &ev, H_GETSIZE) < 0) return 0;
    return ev.num;
}

static inline EditLine *b00t_el_open(const char *prog, History *h, const char *(*prompt)(EditLine *)) {
    EditLine *el = el_init(prog, stdin, stdout, stderr);
    if (!el) return el;
    el_set(el, EL_EDITOR, "emacs");
    el_set(el, EL_PROMPT, prompt);
    if (h) el_set(el, EL_HIST, history, h);
    el_set(el, EL_SIGNAL, 1);
    return el;
}

static inline void b00t_el_bind_complete(EditLine *el, unsigned char (*fn)(EditLine *, int)) {
    el_set(el, EL_ADDFN, "b00t-complete", "complete a command", fn);
    el_set(el, EL_BIND, "^I", "b00t-complete", NULL);
}

/* ^C while editing: the terminal's edit mode stops turning it into SIGINT (-isig), and the key runs `fn`
   instead (which ends the line; the caller knows it was ^C and discards it). */
static inline void b00t_el_bind_interrupt(EditLine *el, unsigned char (*fn)(EditLine *, int)) {
    el_set(el, EL_SETTY, "-d", "-isig", NULL);
    el_set(el, EL_ADDFN, "b00t-interrupt", "discard the line", fn);
    el_set(el, EL_BIND, "^C", "b00t-interrupt", NULL);
}

#endif
