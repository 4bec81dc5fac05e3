#define _GNU_SOURCE
#include "CDaemonSupport.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The sandbox of a `verifyd worker`: no_new_privs, then Landlock (file writes only in the
   restore folder, no TCP, no abstract Unix sockets, no signals out), then a seccomp filter (no
   socket of any family, no io_uring, no ptrace, and outside restores no chmod or chown). The
   kernel's UAPI constants are spelled out here: Debian 12's headers stop at Landlock ABI 2, the
   kernels it runs on go further. */

/* Landlock UAPI (include/uapi/linux/landlock.h), stable. */
#define VERIFYD_LANDLOCK_CREATE_RULESET_VERSION (1U << 0)
#define VERIFYD_LANDLOCK_RULE_PATH_BENEATH 1

#define FS_EXECUTE (1ULL << 0)
#define FS_WRITE_FILE (1ULL << 1)
#define FS_READ_FILE (1ULL << 2)
#define FS_READ_DIR (1ULL << 3)
#define FS_REMOVE_DIR (1ULL << 4)
#define FS_REMOVE_FILE (1ULL << 5)
#define FS_MAKE_CHAR (1ULL << 6)
#define FS_MAKE_DIR (1ULL << 7)
#define FS_MAKE_REG (1ULL << 8)
#define FS_MAKE_SOCK (1ULL << 9)
#define FS_MAKE_FIFO (1ULL << 10)
#define FS_MAKE_BLOCK (1ULL << 11)
#define FS_MAKE_SYM (1ULL << 12)
#define FS_REFER (1ULL << 13)    /* ABI 2 */
#define FS_TRUNCATE (1ULL << 14) /* ABI 3 */
#define FS_IOCTL_DEV (1ULL << 15) /* ABI 5 */
#define NET_BIND_TCP (1ULL << 0)    /* ABI 4 */
#define NET_CONNECT_TCP (1ULL << 1) /* ABI 4 */
#define SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0) /* ABI 6 */
#define SCOPE_SIGNAL (1ULL << 1)               /* ABI 6 */

struct verifyd_landlock_ruleset_attr {
    uint64_t handled_access_fs;
    uint64_t handled_access_net; /* ABI 4 */
    uint64_t scoped;             /* ABI 6 */
};

struct verifyd_landlock_path_beneath_attr {
    uint64_t allowed_access;
    int32_t parent_fd;
} __attribute__((packed));

#ifndef __NR_landlock_create_ruleset
#define __NR_landlock_create_ruleset 444
#define __NR_landlock_add_rule 445
#define __NR_landlock_restrict_self 446
#endif
#ifndef __NR_io_uring_setup
#define __NR_io_uring_setup 425
#define __NR_io_uring_enter 426
#define __NR_io_uring_register 427
#endif
#ifndef __NR_pidfd_getfd
#define __NR_pidfd_getfd 438
#endif

int verifyd_landlock_abi(int *error) {
    long abi = syscall(__NR_landlock_create_ruleset, NULL, 0, VERIFYD_LANDLOCK_CREATE_RULESET_VERSION);
    if (abi < 0) {
        if (error) *error = errno;
        return 0;
    }
    if (error) *error = 0;
    return (int)abi;
}

int verifyd_seccomp_available(void) { return prctl(PR_GET_SECCOMP, 0, 0, 0, 0) >= 0 ? 1 : 0; }

/* Threads of this process, from /proc/self/task; -1 when it cannot be read. */
static int thread_count(void) {
    DIR *tasks = opendir("/proc/self/task");
    if (!tasks) return -1;
    int count = 0;
    struct dirent *entry;
    while ((entry = readdir(tasks)) != NULL) {
        if (entry->d_name[0] != '.') count++;
    }
    closedir(tasks);
    return count;
}

static int fail(struct verifyd_sandbox_outcome *outcome, enum verifyd_sandbox_step step, int error) {
    outcome->failed_step = step;
    outcome->failed_errno = error;
    return -1;
}

static int add_path_rule(int ruleset, const char *path, int flags, uint64_t access) {
    int fd = open(path, O_PATH | O_CLOEXEC | flags);
    if (fd < 0) return -1;
    struct verifyd_landlock_path_beneath_attr rule = { .allowed_access = access, .parent_fd = fd };
    long added = syscall(__NR_landlock_add_rule, ruleset, VERIFYD_LANDLOCK_RULE_PATH_BENEATH, &rule, 0);
    int saved = errno;
    close(fd);
    errno = saved;
    return added == 0 ? 0 : -1;
}

static int apply_landlock(int abi, const char *writable, struct verifyd_sandbox_outcome *outcome) {
    uint64_t fs = FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_READ_DIR | FS_REMOVE_DIR | FS_REMOVE_FILE
        | FS_MAKE_CHAR | FS_MAKE_DIR | FS_MAKE_REG | FS_MAKE_SOCK | FS_MAKE_FIFO | FS_MAKE_BLOCK | FS_MAKE_SYM;
    if (abi >= 2) fs |= FS_REFER;
    if (abi >= 3) fs |= FS_TRUNCATE;
    if (abi >= 5) fs |= FS_IOCTL_DEV;
    struct verifyd_landlock_ruleset_attr attr = { .handled_access_fs = fs };
    size_t size = offsetof(struct verifyd_landlock_ruleset_attr, handled_access_net);
    if (abi >= 4) {
        /* Handled and granted nowhere: no TCP bind or connect. */
        attr.handled_access_net = NET_BIND_TCP | NET_CONNECT_TCP;
        size = offsetof(struct verifyd_landlock_ruleset_attr, scoped);
    }
    if (abi >= 6) {
        attr.scoped = SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL;
        size = sizeof attr;
    }
    int ruleset = (int)syscall(__NR_landlock_create_ruleset, &attr, size, 0);
    if (ruleset < 0) return fail(outcome, VERIFYD_SANDBOX_STEP_LANDLOCK_RULESET, errno);
    /* Everything may be read (archives, manifests, libraries) and run (libarchive's external
       decompressors, which inherit this sandbox); nothing may be written. */
    if (add_path_rule(ruleset, "/", 0, FS_EXECUTE | FS_READ_FILE | FS_READ_DIR) != 0) {
        int saved = errno;
        close(ruleset);
        return fail(outcome, VERIFYD_SANDBOX_STEP_LANDLOCK_ROOT_RULE, saved);
    }
    /* The restore folder: files, folders, links and FIFOs, never device nodes or sockets. */
    if (writable && writable[0]) {
        uint64_t scratch = fs & ~(FS_MAKE_CHAR | FS_MAKE_BLOCK | FS_MAKE_SOCK | FS_IOCTL_DEV);
        /* A folder, not a symlink to one: a link to / would open everything to writes. */
        if (add_path_rule(ruleset, writable, O_DIRECTORY | O_NOFOLLOW, scratch) != 0) {
            int saved = errno;
            close(ruleset);
            return fail(outcome, VERIFYD_SANDBOX_STEP_LANDLOCK_WRITABLE_RULE, saved);
        }
    }
    long restricted = syscall(__NR_landlock_restrict_self, ruleset, 0);
    int saved = errno;
    close(ruleset);
    if (restricted != 0) return fail(outcome, VERIFYD_SANDBOX_STEP_LANDLOCK_RESTRICT, saved);
    return 0;
}

#if defined(__x86_64__)
#define VERIFYD_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define VERIFYD_AUDIT_ARCH AUDIT_ARCH_AARCH64
#else
#error "the worker's seccomp filter knows x86_64 and aarch64"
#endif

#define DENY(nr) \
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM)

/* Calls Landlock does not govern (up to ABI 7) that a worker needs only to restore files:
   changing the mode or owner of what the daemon's user owns (its state folder). */
#define DENY_OWNER_CHANGES \
    DENY_CHMOD_CHOWN_BY_NAME \
    DENY(__NR_fchmod), \
    DENY(__NR_fchmodat), \
    DENY(452 /* fchmodat2 */), \
    DENY(__NR_fchown), \
    DENY(__NR_fchownat),
#if defined(__NR_chmod)
#define DENY_CHMOD_CHOWN_BY_NAME DENY(__NR_chmod), DENY(__NR_chown), DENY(__NR_lchown),
#else
#define DENY_CHMOD_CHOWN_BY_NAME
#endif

/* A call allowed only when its first argument is `pid` or `also` (prlimit64 reads 0 as "this
   process"). The kernel reads a pid as a 32-bit int, so the low word is what counts. */
#define ONLY_TO(nr, pid, also) \
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 5), \
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])), \
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)(pid), 2, 0), \
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)(also), 1, 0), \
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM), \
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)

static int apply_seccomp(int restore, struct verifyd_sandbox_outcome *outcome) {
    /* Signals and limits only for itself: not to the daemon (same user, same process group,
       kill(0) or kill(-1)), which Landlock's signal scope covers only from ABI 6. */
    pid_t self = getpid();
    struct sock_filter restoring[] = {
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_filter reading[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        DENY_OWNER_CHANGES
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_filter filter[] = {
        /* Another architecture's calling convention (x86's int 0x80) would bypass the numbers below. */
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, VERIFYD_AUDIT_ARCH, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
#if defined(__x86_64__)
        /* x32 system calls: the same calls under other numbers. */
        BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
#endif
        /* No socket of any family: not the control socket, not the journal, not the network. */
        DENY(__NR_socket),
        DENY(__NR_socketpair),
        DENY(__NR_connect),
        DENY(__NR_bind),
        DENY(__NR_listen),
#ifdef __NR_accept
        DENY(__NR_accept),
#endif
        DENY(__NR_accept4),
        /* io_uring runs its operations (sockets, opens) without passing this filter. */
        DENY(__NR_io_uring_setup),
        DENY(__NR_io_uring_enter),
        DENY(__NR_io_uring_register),
        /* Nothing of another process: its memory, its descriptors. */
        DENY(__NR_ptrace),
        DENY(__NR_process_vm_readv),
        DENY(__NR_process_vm_writev),
        DENY(__NR_pidfd_getfd),
        /* truncate(2) by name: Landlock governs it only from ABI 3 (ftruncate stays). */
        DENY(__NR_truncate),
        DENY(__NR_tkill),
        DENY(434 /* pidfd_open */),
        DENY(424 /* pidfd_send_signal */),
        ONLY_TO(__NR_kill, self, self),
        ONLY_TO(__NR_tgkill, self, self),
        ONLY_TO(__NR_rt_sigqueueinfo, self, self),
        ONLY_TO(__NR_rt_tgsigqueueinfo, self, self),
        ONLY_TO(__NR_prlimit64, self, 0),
    };
    /* The common part, then the mode's tail (a run that restores keeps chmod and chown). */
    struct sock_filter whole[sizeof filter / sizeof filter[0] + sizeof reading / sizeof reading[0]];
    size_t count = sizeof filter / sizeof filter[0];
    memcpy(whole, filter, sizeof filter);
    if (restore) {
        memcpy(whole + count, restoring, sizeof restoring);
        count += sizeof restoring / sizeof restoring[0];
    } else {
        memcpy(whole + count, reading, sizeof reading);
        count += sizeof reading / sizeof reading[0];
    }
    struct sock_fprog program = { .len = (unsigned short)count, .filter = whole };
    /* prctl, not seccomp(2): systemd's @system-service filter allows the one, not the other. */
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program, 0, 0) != 0) {
        if (errno == EINVAL) return 0; /* a kernel without seccomp filters */
        return fail(outcome, VERIFYD_SANDBOX_STEP_SECCOMP, errno);
    }
    outcome->seccomp = 1;
    return 0;
}

int verifyd_sandbox_worker(const char *writable_directory, struct verifyd_sandbox_outcome *outcome) {
    memset(outcome, 0, sizeof *outcome);
    /* Landlock and this seccomp filter bind the calling thread and the threads it starts later:
       a thread started before would stay outside. */
    int threads = thread_count();
    if (threads != 1) return fail(outcome, VERIFYD_SANDBOX_STEP_THREADS, threads < 0 ? errno : 0);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return fail(outcome, VERIFYD_SANDBOX_STEP_NO_NEW_PRIVS, errno);
    int error = 0;
    int abi = verifyd_landlock_abi(&error);
    outcome->landlock_abi = abi;
    outcome->landlock_errno = error;
    if (abi > 0 && apply_landlock(abi, writable_directory, outcome) != 0) return -1;
    return apply_seccomp(writable_directory != NULL && writable_directory[0] != 0, outcome);
}
