/*
 * The step's sandbox: a private mount namespace with a fresh /tmp, the --tmpfs
 * mounts and the --bind mounts (volumes), built by the supervisor before it forks
 * the step. The supervisor stays in the namespace so that it reads the step's
 * output files from the step's own view.
 */
#define _GNU_SOURCE
#include "include/argosy_exec.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

/* Options of every tmpfs we mount (/tmp and --tmpfs): world-writable, sticky. */
#define AX_TMPFS_FLAGS (MS_NOSUID | MS_NODEV)
#define AX_TMPFS_DATA "mode=1777"

/* mkdir -p path (mode for created directories). 0 / -1 + errno. */
static int mkdir_p(const char *path, mode_t mode)
{
    char buf[PATH_MAX];
    size_t len = strlen(path);
    if (len == 0) {
        errno = ENOENT;
        return -1;
    }
    if (len >= sizeof buf) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(buf, path, len + 1);
    /* Create each prefix ending before a '/', then the whole path. */
    for (size_t i = 1; i <= len; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        if (buf[i - 1] == '/') /* "//" or trailing '/' */
            continue;
        char saved = buf[i];
        buf[i] = '\0';
        int rc = mkdir(buf, mode);
        int e = errno;
        buf[i] = saved;
        if (rc < 0 && e != EEXIST) {
            errno = e;
            return -1;
        }
    }
    return 0;
}

/* Create an empty file at path (and its parent directories) unless something is there. */
static int make_file_mountpoint(const char *path)
{
    struct stat st;
    if (lstat(path, &st) == 0)
        return 0;
    if (errno != ENOENT)
        return -1;
    char parent[PATH_MAX];
    size_t len = strlen(path);
    if (len >= sizeof parent) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(parent, path, len + 1);
    char *slash = strrchr(parent, '/');
    if (slash && slash != parent) {
        *slash = '\0';
        if (mkdir_p(parent, 0755) < 0)
            return -1;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW, 0644);
    if (fd < 0)
        return -1;
    if (close(fd) < 0 && errno != EINTR)
        return -1;
    return 0;
}

/* Write a short string to a /proc file (uid_map and friends). */
static int write_proc(const char *path, const char *data)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int err = 0;
    if (ax_write_all(fd, data, strlen(data)) < 0)
        err = errno;
    if (close(fd) < 0 && err == 0 && errno != EINTR)
        err = errno;
    errno = err;
    return err ? -1 : 0;
}

/*
 * Unprivileged fallback: a user namespace in which the caller's uid/gid are root,
 * which lets us create the mount namespace.
 */
static int enter_user_and_mount_ns(char *err, size_t errlen)
{
    uid_t uid = geteuid();
    gid_t gid = getegid();
    if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0) {
        ax_errf(err, errlen, "sandbox: unshare(CLONE_NEWNS) needs privileges and "
                "unshare(CLONE_NEWUSER|CLONE_NEWNS) failed: %s", strerror(errno));
        return -1;
    }
    char map[64];
    /* gid_map may only be written by an unprivileged process once setgroups is denied. */
    if (write_proc("/proc/self/setgroups", "deny") < 0) {
        ax_errf(err, errlen, "sandbox: write /proc/self/setgroups: %s", strerror(errno));
        return -1;
    }
    (void)snprintf(map, sizeof map, "0 %lu 1\n", (unsigned long)uid);
    if (write_proc("/proc/self/uid_map", map) < 0) {
        ax_errf(err, errlen, "sandbox: write /proc/self/uid_map: %s", strerror(errno));
        return -1;
    }
    (void)snprintf(map, sizeof map, "0 %lu 1\n", (unsigned long)gid);
    if (write_proc("/proc/self/gid_map", map) < 0) {
        ax_errf(err, errlen, "sandbox: write /proc/self/gid_map: %s", strerror(errno));
        return -1;
    }
    return 0;
}

static int mount_tmpfs(const char *dst, char *err, size_t errlen)
{
    if (mkdir_p(dst, 0755) < 0) {
        ax_errf(err, errlen, "sandbox: create mount point %s: %s", dst, strerror(errno));
        return -1;
    }
    if (mount("tmpfs", dst, "tmpfs", AX_TMPFS_FLAGS, AX_TMPFS_DATA) < 0) {
        ax_errf(err, errlen, "sandbox: mount tmpfs on %s: %s", dst, strerror(errno));
        return -1;
    }
    return 0;
}

/*
 * Mount flags of the mount at path that a read-only remount must keep: in a user
 * namespace the kernel refuses (EPERM) to clear nosuid/nodev/noexec/atime flags
 * that came from a more privileged namespace.
 */
static int kept_mount_flags(const char *path, unsigned long *flags)
{
    struct statvfs sv;
    if (statvfs(path, &sv) < 0)
        return -1;
    unsigned long f = 0;
    if (sv.f_flag & ST_NOSUID) f |= MS_NOSUID;
    if (sv.f_flag & ST_NODEV) f |= MS_NODEV;
    if (sv.f_flag & ST_NOEXEC) f |= MS_NOEXEC;
    if (sv.f_flag & ST_NOATIME) f |= MS_NOATIME;
    if (sv.f_flag & ST_NODIRATIME) f |= MS_NODIRATIME;
    if (sv.f_flag & ST_RELATIME) f |= MS_RELATIME;
    *flags = f;
    return 0;
}

/*
 * Bind b->src (through its O_PATH fd, so a source under the host /tmp still works
 * after /tmp was covered) onto b->dst, creating dst first.
 */
static int mount_bind(struct ax_bind *b, char *err, size_t errlen)
{
    int rc = b->src_is_dir ? mkdir_p(b->dst, 0755) : make_file_mountpoint(b->dst);
    if (rc < 0) {
        ax_errf(err, errlen, "sandbox: create mount point %s: %s", b->dst, strerror(errno));
        return -1;
    }
    char src[64];
    (void)snprintf(src, sizeof src, "/proc/self/fd/%d", b->src_fd);
    rc = mount(src, b->dst, NULL, MS_BIND | MS_REC, NULL);
    if (rc < 0 && errno == ENOENT) /* no /proc: fall back to the path itself */
        rc = mount(b->src, b->dst, NULL, MS_BIND | MS_REC, NULL);
    if (rc < 0) {
        ax_errf(err, errlen, "sandbox: bind %s on %s: %s", b->src, b->dst, strerror(errno));
        return -1;
    }
    if (b->ro) {
        /* A bind mount ignores MS_RDONLY; it takes a remount of the new mount. */
        unsigned long kept = 0;
        if (kept_mount_flags(b->dst, &kept) < 0 ||
            mount(NULL, b->dst, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | kept, NULL) < 0) {
            ax_errf(err, errlen, "sandbox: remount %s read-only: %s", b->dst, strerror(errno));
            return -1;
        }
    }
    return 0;
}

/*
 * Open every bind source as an O_PATH fd while the caller's view (including the host
 * /tmp) is intact; mount_bind binds it through /proc/self/fd/N once /tmp is covered.
 */
static int open_bind_sources(struct ax_options *opt, char *err, size_t errlen)
{
    for (size_t i = 0; i < opt->nbinds; i++) {
        struct ax_bind *b = &opt->binds[i];
        b->src_fd = open(b->src, O_PATH | O_CLOEXEC);
        struct stat st;
        if (b->src_fd < 0 || fstat(b->src_fd, &st) < 0) {
            ax_errf(err, errlen, "sandbox: bind source %s: %s", b->src, strerror(errno));
            return -1;
        }
        b->src_is_dir = S_ISDIR(st.st_mode);
    }
    return 0;
}

static void close_bind_sources(struct ax_options *opt)
{
    for (size_t i = 0; i < opt->nbinds; i++) {
        if (opt->binds[i].src_fd >= 0) {
            (void)close(opt->binds[i].src_fd); /* O_PATH fd: nothing to flush */
            opt->binds[i].src_fd = -1;
        }
    }
}

static int build_view(struct ax_options *opt, char *err, size_t errlen)
{
    if (unshare(CLONE_NEWNS) < 0) {
        if (errno != EPERM) {
            ax_errf(err, errlen, "sandbox: unshare(CLONE_NEWNS): %s", strerror(errno));
            return -1;
        }
        if (enter_user_and_mount_ns(err, errlen) < 0)
            return -1;
    }
    /* Without this, our mounts would propagate back to the host's shared mounts. */
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
        ax_errf(err, errlen, "sandbox: make / private: %s", strerror(errno));
        return -1;
    }
    /* Now, inside the namespace (bind sources must belong to it) and before /tmp
     * is covered (a source may live under the host's /tmp). */
    if (open_bind_sources(opt, err, errlen) < 0)
        return -1;
    if (mount_tmpfs("/tmp", err, errlen) < 0)
        return -1;
    for (size_t i = 0; i < opt->ntmpfs; i++)
        if (mount_tmpfs(opt->tmpfs[i], err, errlen) < 0)
            return -1;
    for (size_t i = 0; i < opt->nbinds; i++)
        if (mount_bind(&opt->binds[i], err, errlen) < 0)
            return -1;
    return 0;
}

int ax_sandbox_setup(struct ax_options *opt, char *err, size_t errlen)
{
    int rc = build_view(opt, err, errlen);
    close_bind_sources(opt);
    return rc;
}
