#ifndef CNCURSES_SHIM_H
#define CNCURSES_SHIM_H
#define NCURSES_WIDECHAR 1
#define _XOPEN_SOURCE_EXTENDED 1
#include <locale.h>
#include <string.h>
#include <wchar.h>
#include <ncursesw/curses.h>

int wcwidth(wchar_t c);

/* Macros do not import into Swift: inline wrappers. */
static inline attr_t b00t_a_bold(void) { return A_BOLD; }
static inline attr_t b00t_a_reverse(void) { return A_REVERSE; }
static inline attr_t b00t_a_underline(void) { return A_UNDERLINE; }
static inline attr_t b00t_a_dim(void) { return A_DIM; }
static inline attr_t b00t_color_pair(int n) { return COLOR_PAIR(n); }
static inline int b00t_key_resize(void) { return KEY_RESIZE; }
static inline int b00t_lines(void) { return LINES; }
static inline int b00t_cols(void) { return COLS; }
static inline WINDOW *b00t_stdscr(void) { return stdscr; }
static inline void b00t_attrset(attr_t a) { attrset(a); }
static inline int b00t_colors(void) { return COLORS; }
static inline int b00t_color_pairs(void) { return COLOR_PAIRS; }
static inline int b00t_get_wch(wint_t *ch) { return get_wch(ch); }
static inline void b00t_timeout(int ms) { timeout(ms); }
static inline int b00t_move(int y, int x) { return move(y, x); }
static inline int b00t_addstr(const char *s) { return addstr(s); }

/* One terminal cell holding several code points (an emoji with its ZWJ partners, a letter with combining
   marks), drawn at the cursor in the window's current attributes. setcchar() would stop at the first wide
   partner (it keeps only zero-width ones), so the cchar_t is filled directly: curses then counts the cell as
   wide as its first code point — exactly what the terminal draws. */
static inline int b00t_add_cell(const wchar_t *chars, int count) {
    cchar_t cell;
    memset(&cell, 0, sizeof cell);
    if (count > CCHARW_MAX) count = CCHARW_MAX;
    for (int i = 0; i < count; i++) cell.chars[i] = chars[i];
    return wadd_wch(stdscr, &cell);
}

/* Mouse: wheel up and down only (clicks and drags stay with the terminal's selection when off). */
static inline mmask_t b00t_wheel_mask(void) { return BUTTON4_PRESSED | BUTTON5_PRESSED; }
static inline int b00t_wheel_up(mmask_t m) { return (m & BUTTON4_PRESSED) != 0; }
static inline int b00t_wheel_down(mmask_t m) { return (m & BUTTON5_PRESSED) != 0; }
static inline int b00t_key_mouse(void) { return KEY_MOUSE; }
static inline int b00t_key_btab(void) { return KEY_BTAB; }

#endif
