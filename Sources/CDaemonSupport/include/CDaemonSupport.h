#ifndef CDAEMONSUPPORT_H
#define CDAEMONSUPPORT_H

#include <spawn.h>
#include <sys/types.h>

/* Linux calls that glibc declares only under _GNU_SOURCE, which Swift's Glibc module does not
   define. Thin wrappers, no logic. */

/* accept4(fd, NULL, NULL, SOCK_CLOEXEC) */
int verifyd_accept_cloexec(int fd);

/// Names the calling thread (as `top -H` and /proc/PID/task/TID/comm show it; 15 bytes at most).
/// Foundation's `Thread.name` does not reach the kernel on Linux.
int verifyd_name_thread(const char *name);
/* pipe2(fds, O_CLOEXEC) */
int verifyd_pipe_cloexec(int fds[2]);
/* fcntl(fd, F_SETPIPE_SZ, size): the new size, or -1 (unprivileged: at most pipe-max-size) */
int verifyd_pipe_grow(int fd, int size);
/* getsockopt(SO_PEERCRED); returns 0 on success */
int verifyd_peer_credentials(int fd, pid_t *pid, uid_t *uid, gid_t *gid);
/* posix_spawn_file_actions_addclosefrom_np(actions, from): the child keeps no descriptor
   numbered from `from` up, whatever its close-on-exec flag (glibc 2.34 and later). */
int verifyd_spawn_close_from(posix_spawn_file_actions_t *actions, int from);
/* ioprio_set(IOPRIO_WHO_PROCESS, tid, ...) for one thread: class 2 best-effort (level 0-7) or
   3 idle; 0 on success */
int verifyd_set_thread_io_priority(int tid, int ioClass, int level);
/* prctl(PR_SET_PDEATHSIG, signal) */
int verifyd_set_parent_death_signal(int signal);

/* The sandbox of a `verifyd worker` (WorkerSandbox.c). */
enum verifyd_sandbox_step {
    VERIFYD_SANDBOX_STEP_NONE = 0,
    VERIFYD_SANDBOX_STEP_THREADS = 1,
    VERIFYD_SANDBOX_STEP_NO_NEW_PRIVS = 2,
    VERIFYD_SANDBOX_STEP_LANDLOCK_RULESET = 3,
    VERIFYD_SANDBOX_STEP_LANDLOCK_ROOT_RULE = 4,
    VERIFYD_SANDBOX_STEP_LANDLOCK_WRITABLE_RULE = 5,
    VERIFYD_SANDBOX_STEP_LANDLOCK_RESTRICT = 6,
    VERIFYD_SANDBOX_STEP_SECCOMP = 7,
};
struct verifyd_sandbox_outcome {
    /* The Landlock ABI applied; 0 when the kernel has none (or it is disabled or filtered). */
    int landlock_abi;
    /* Why Landlock is unavailable: ENOSYS, EOPNOTSUPP, EPERM (a seccomp filter); 0 when it is. */
    int landlock_errno;
    /* 1 when the seccomp filter is in place. */
    int seccomp;
    /* The step that failed (enum verifyd_sandbox_step) and its errno. */
    int failed_step;
    int failed_errno;
};
/* Must be called while the process has one thread. no_new_privs; Landlock if the kernel has
   it (read and execute everywhere, write only beneath `writable_directory` if not NULL; no TCP,
   no abstract Unix socket, no signal out, as far as the ABI goes); a seccomp filter (no socket,
   no io_uring, no ptrace, no truncate by name; without `writable_directory`, no chmod or chown
   either). 0 when everything the kernel offers is in place, -1 when a step
   failed (see `outcome`). */
int verifyd_sandbox_worker(const char *writable_directory, struct verifyd_sandbox_outcome *outcome);
/* landlock_create_ruleset(NULL, 0, VERSION): the ABI, or 0 with the errno in `error`. */
int verifyd_landlock_abi(int *error);
/* 1 when the kernel has seccomp (prctl(PR_GET_SECCOMP) succeeds), else 0. */
int verifyd_seccomp_available(void);

#endif
