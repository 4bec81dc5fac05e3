#ifndef CDAEMONSUPPORT_H
#define CDAEMONSUPPORT_H

#include <spawn.h>
#include <sys/types.h>

/* Linux calls that glibc declares only under _GNU_SOURCE, which Swift's Glibc module does not
   define. Thin wrappers, no logic. */

/* accept4(fd, NULL, NULL, SOCK_CLOEXEC) */
int verifyd_accept_cloexec(int fd);
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

#endif
