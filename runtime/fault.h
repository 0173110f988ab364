/* fault.h — named crash points for the fault tests.
 *
 * A crash point marks a place where a real crash would leave work half
 * done, e.g. "actions.after.post": the post is in Slack, its record-back is
 * not in the log yet. When the environment variable ESC_FAULT_KILL names
 * the point, the process logs one line and kills itself with SIGKILL the
 * first time it gets there, exactly as `kill -9` at that instant would.
 * Unset (always, outside the tests) a point costs one string compare. */
#ifndef ESC_FAULT_H
#define ESC_FAULT_H

void esc_fault_point(const char *name);

#endif
