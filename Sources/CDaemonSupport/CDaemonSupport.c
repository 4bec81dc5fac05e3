#define _GNU_SOURCE
#include "CDaemonSupport.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

int verifyd_accept_cloexec(int fd) { return accept4(fd, NULL, NULL, SOCK_CLOEXEC); }

int verifyd_name_thread(const char *name) { return prctl(PR_SET_NAME, name, 0, 0, 0); }

int verifyd_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

int verifyd_pipe_grow(int fd, int size) { return fcntl(fd, F_SETPIPE_SZ, size); }

int verifyd_peer_credentials(int fd, pid_t *pid, uid_t *uid, gid_t *gid) {
    struct ucred credentials;
    socklen_t length = sizeof credentials;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) != 0) return -1;
    *pid = credentials.pid;
    *uid = credentials.uid;
    *gid = credentials.gid;
    return 0;
}

int verifyd_set_parent_death_signal(int signal) { return prctl(PR_SET_PDEATHSIG, (unsigned long)signal, 0, 0, 0); }

int verifyd_spawn_close_from(posix_spawn_file_actions_t *actions, int from) {
    return posix_spawn_file_actions_addclosefrom_np(actions, from);
}

int verifyd_set_thread_io_priority(int tid, int ioClass, int level) {
    return (int)syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, tid, (ioClass << 13) | (level & 7));
}
