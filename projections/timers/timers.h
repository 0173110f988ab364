/* timers.h — `esc worker timers`: watches open incidents' deadlines and
 * sends the deadline commands (due.h decides, table.h holds them). */
#ifndef ESC_TIMERS_H
#define ESC_TIMERS_H

/* `esc worker timers` (runtime/worker_main.h). */
extern const struct esc_worker_app esc_worker_timers_app;

#endif
