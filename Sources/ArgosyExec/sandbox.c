/*
 * The step's sandbox, built by the supervisor before it forks the step, in a private
 * mount namespace (in a user namespace too when the caller is unprivileged):
 *
 *   - a copy-on-write root: an overlay with the host's / as its lower layer and a
 *     throwaway upper layer on a private tmpfs, so that the step sees the host's
 *     programs, libraries and /etc, but whatever it writes outside its volumes stays
 *     in its own layer, invisible to the host and to parallel steps, and disappears
 *     with the step;
 *   - the host's other mounts at the same paths (see mount_host_submounts): real file
 *     systems copy-on-write too (or read-only), /proc, /sys, /dev shared;
 *   - pivot_root into it, then a fresh /tmp and /dev/shm, the --tmpfs mounts and the
 *     --bind mounts (volumes, writable through to the host unless :ro), then the old
 *     root is detached.
 *
 * The view is a pod's, not the host's: /dev holds only the harmless devices (no disks), each
 * --hide directory (Argosy's home: its store, logs, other steps' files) is an empty read-only
 * directory, and the step's pid namespace (main.c) mounts its own /proc over the host's.
 *
 * There is no fallback that writes on the host: no overlayfs means exit 125.
 * The supervisor stays in the namespace so that it reads the step's output files
 * from the step's own view.
 */
#define _GNU_SOURCE
#include "include/argosy_exec.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <stdint.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The scratch tmpfs: overlay layers, and the step's /tmp, /dev/shm and --tmpfs. */
#define AX_TMPFS_FLAGS (MS_NOSUID | MS_NODEV)
#define AX_TMPFS_DATA "mode=0700"

/*
 * Layout, all in the supervisor's private mount namespace:
 *
 *   AX_SCRATCH (the old root's /tmp, covered by a private tmpfs, mode 0700):
 *     root/     the new root: an overlay with lowerdir=/ (the host root file system)
 *     uN wN     upperdir and workdir of overlay N (the root and each host submount)
 *     tN        the step's /tmp, /dev/shm and --tmpfs targets (bound, mode 1777)
 *
 * The host's other mounts are recreated inside root/ at the same paths (see
 * mount_host_submounts), then the supervisor pivots into root/, mounts /tmp, /dev/shm,
 * the --tmpfs targets and the --bind volumes, and detaches the old root. The scratch
 * tmpfs stays referenced by the overlays only: it disappears with the namespace, and
 * the host never sees any of it.
 */
#define AX_SCRATCH "/tmp"
#define AX_NEWROOT AX_SCRATCH "/root"
#define AX_OLDROOT "/.argosy-old-root" /* in the new root, until it is detached */

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

/*
 * Give dst a fresh, empty, world-writable (sticky) file system: directory t/N of the
 * scratch tmpfs (reached through the old root, so before leave_old_root), bound on
 * dst. Cheaper than a tmpfs superblock per target, and just as private: it
 * disappears with the step's namespace.
 */
static int mount_tmpfs(const char *dst, char *err, size_t errlen)
{
    static unsigned count;
    char dir[64];
    (void)snprintf(dir, sizeof dir, AX_OLDROOT AX_SCRATCH "/t%u", count++);
    if (mkdir(dir, 0700) < 0 || chmod(dir, 01777) < 0) {
        ax_errf(err, errlen, "sandbox: create scratch directory for %s: %s", dst, strerror(errno));
        return -1;
    }
    if (mkdir_p(dst, 0755) < 0) {
        ax_errf(err, errlen, "sandbox: create mount point %s: %s", dst, strerror(errno));
        return -1;
    }
    if (mount(dir, dst, NULL, MS_BIND, NULL) < 0) {
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
        ax_errf(err, errlen, "sandbox: create mount point %s: %s%s", b->dst, strerror(errno),
                errno == EOVERFLOW || errno == EACCES
                    ? " (unprivileged: only where the caller may write on the host; in a user"
                      " namespace the copy-on-write layer cannot copy up root-owned directories)"
                    : "");
        return -1;
    }
    char src[64];
    (void)snprintf(src, sizeof src, "/proc/self/fd/%d", b->src_fd);
    rc = mount(src, b->dst, NULL, MS_BIND | MS_REC, NULL);
    if (rc < 0 && errno == ENOENT) { /* no /proc: the path itself, in the old root */
        char old[PATH_MAX];
        if (snprintf(old, sizeof old, "%s%s", AX_OLDROOT, b->src) < (int)sizeof old &&
            b->src[0] == '/')
            rc = mount(old, b->dst, NULL, MS_BIND | MS_REC, NULL);
    }
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


/* ------------------------------------------------------------------------- */
/* The copy-on-write root                                                     */

/* One line of /proc/self/mountinfo. Strings point into struct host_mounts.text. */
struct host_mount {
    int id, parent;
    const char *path; /* mount point, unescaped */
    const char *fstype;
    unsigned long flags; /* MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC of the mount */
    size_t index, depth;
    bool done; /* recreated as part of an ancestor (a recursive bind) */
};

struct host_mounts {
    char *text;
    struct host_mount *m;
    size_t n;
    unsigned layers; /* overlays mounted so far: names u/N and w/N */
};

static void free_host_mounts(struct host_mounts *h)
{
    free(h->text);
    free(h->m);
    h->text = NULL;
    h->m = NULL;
    h->n = 0;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo: undo it in place. */
static void unescape_octal(char *s)
{
    char *w = s;
    for (char *r = s; *r; ) {
        if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
            r[3] >= '0' && r[3] <= '7') {
            *w++ = (char)(((r[1] - '0') << 6) | ((r[2] - '0') << 3) | (r[3] - '0'));
            r += 4;
        } else {
            *w++ = *r++;
        }
    }
    *w = '\0';
}

static unsigned long parse_mount_flags(char *opts)
{
    unsigned long f = 0;
    for (char *save = NULL, *o = strtok_r(opts, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
        if (strcmp(o, "ro") == 0) f |= MS_RDONLY;
        else if (strcmp(o, "nosuid") == 0) f |= MS_NOSUID;
        else if (strcmp(o, "nodev") == 0) f |= MS_NODEV;
        else if (strcmp(o, "noexec") == 0) f |= MS_NOEXEC;
    }
    return f;
}

static int cmp_depth(const void *a, const void *b)
{
    const struct host_mount *x = a, *y = b;
    if (x->depth != y->depth)
        return x->depth < y->depth ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

static int read_host_mounts_from(int fd, struct host_mounts *h, char *err, size_t errlen);

/* Read /proc/self/mountinfo; sort parents before children (mountinfo does not). */
static int read_host_mounts(struct host_mounts *h, char *err, size_t errlen)
{
    int fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        ax_errf(err, errlen, "sandbox: open /proc/self/mountinfo: %s", strerror(errno));
        return -1;
    }
    int rc = read_host_mounts_from(fd, h, err, errlen);
    (void)close(fd);
    return rc;
}

/*
 * The host's mounts as a --serve server last read them (see ax_sandbox_keep_host_mounts): its
 * supervisors, forked from it, start from this copy instead of reading and parsing mountinfo.
 */
static struct host_mounts kept_mounts;
static bool have_kept_mounts;
static int kept_mountinfo_fd = -1;
static int kept_generation; /* how many times the mounts were read */

int ax_sandbox_keep_host_mounts(void)
{
    if (kept_mountinfo_fd < 0) {
        kept_mountinfo_fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
        if (kept_mountinfo_fd < 0)
            return -1;
    } else if (have_kept_mounts) {
        /* The kernel reports POLLPRI once the mount table changed since the last poll (or the open). */
        struct pollfd p = {.fd = kept_mountinfo_fd, .events = POLLPRI};
        if (poll(&p, 1, 0) == 0)
            return kept_generation;
    }
    free_host_mounts(&kept_mounts);
    have_kept_mounts = false;
    char err[AX_ERR_MAX];
    if (lseek(kept_mountinfo_fd, 0, SEEK_SET) < 0 ||
        read_host_mounts_from(kept_mountinfo_fd, &kept_mounts, err, sizeof err) < 0) {
        free_host_mounts(&kept_mounts);
        return -1; /* supervisors read it themselves */
    }
    have_kept_mounts = true;
    return ++kept_generation;
}

/* read_host_mounts, or the server's copy (this process's own: a forked supervisor changes it freely). */
static int host_mounts(struct host_mounts *h, char *err, size_t errlen)
{
    if (!have_kept_mounts)
        return read_host_mounts(h, err, errlen);
    *h = kept_mounts;
    kept_mounts = (struct host_mounts){0};
    have_kept_mounts = false;
    return 0;
}

static int read_host_mounts_from(int fd, struct host_mounts *h, char *err, size_t errlen)
{
    size_t cap = 16384, len = 0;
    h->text = malloc(cap);
    for (;;) {
        if (!h->text) {
            ax_errf(err, errlen, "sandbox: out of memory");
            return -1;
        }
        if (cap - len < 4096) {
            char *t = realloc(h->text, cap *= 2);
            if (!t)
                free(h->text);
            h->text = t;
            continue;
        }
        ssize_t r = read(fd, h->text + len, cap - len - 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            ax_errf(err, errlen, "sandbox: read /proc/self/mountinfo: %s", strerror(errno));
            return -1;
        }
        if (r == 0)
            break;
        len += (size_t)r;
    }
    h->text[len] = '\0';
    size_t lines = 0;
    for (size_t i = 0; i < len; i++)
        lines += h->text[i] == '\n';
    h->m = calloc(lines + 1, sizeof *h->m);
    if (!h->m) {
        ax_errf(err, errlen, "sandbox: out of memory");
        return -1;
    }
    char *save = NULL;
    for (char *line = strtok_r(h->text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        /* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER */
        char *f[6], *fs = NULL, *s2 = NULL;
        size_t nf = 0;
        for (char *t = strtok_r(line, " ", &s2); t; t = strtok_r(NULL, " ", &s2)) {
            if (nf < 6) {
                f[nf++] = t;
            } else if (strcmp(t, "-") == 0) {
                fs = strtok_r(NULL, " ", &s2);
                break;
            }
        }
        if (nf < 6 || !fs || f[4][0] != '/')
            continue; /* malformed, or outside our root */
        struct host_mount *m = &h->m[h->n];
        m->id = atoi(f[0]);
        m->parent = atoi(f[1]);
        unescape_octal(f[4]);
        m->path = f[4];
        m->fstype = fs;
        m->flags = parse_mount_flags(f[5]);
        m->index = h->n++;
    }
    for (size_t i = 0; i < h->n; i++) {
        /* Depth in the mount tree: follow parent ids (the root's parent is not listed). */
        size_t d = 0, cur = i;
        while (d < h->n) {
            size_t j = 0;
            while (j < h->n && (h->m[j].id != h->m[cur].parent || j == cur))
                j++;
            if (j == h->n)
                break;
            d++;
            cur = j;
        }
        h->m[i].depth = d;
    }
    qsort(h->m, h->n, sizeof *h->m, cmp_depth);
    return 0;
}

/* path is prefix or below it ("/" contains everything). */
static bool path_under(const char *path, const char *prefix)
{
    size_t n = strlen(prefix);
    if (n == 1 && prefix[0] == '/')
        return true;
    return strncmp(path, prefix, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* Some host mount strictly below path (beneath a directory we would overlay)? */
static bool mounts_below(const struct host_mounts *h, const char *path)
{
    for (size_t i = 0; i < h->n; i++)
        if (path_under(h->m[i].path, path) && strcmp(h->m[i].path, path) != 0)
            return true;
    return false;
}

static bool is_mount_point(const struct host_mounts *h, const char *path)
{
    for (size_t i = 0; i < h->n; i++)
        if (strcmp(h->m[i].path, path) == 0)
            return true;
    return false;
}

/*
 * Paths whose host mounts are not copied: /tmp gets a fresh tmpfs (and AX_SCRATCH is
 * the old root's /tmp), /proc, /sys and /dev are recursive binds.
 */
static bool is_system_path(const char *path)
{
    return path_under(path, "/tmp") || path_under(path, "/proc") ||
           path_under(path, "/sys") || path_under(path, "/dev");
}

/* Kernel and pseudo file systems: shared as they are (recursive bind), never copied. */
static bool is_pseudo_fs(const char *t)
{
    static const char *const pseudo[] = {
        "proc", "sysfs", "devtmpfs", "devpts", "mqueue", "cgroup", "cgroup2",
        "securityfs", "debugfs", "tracefs", "bpf", "pstore", "hugetlbfs", "fusectl",
        "configfs", "binfmt_misc", "autofs", "nsfs", "efivarfs", "selinuxfs",
        "rpc_pipefs", "nfsd", "ramfs",
    };
    for (size_t i = 0; i < sizeof pseudo / sizeof *pseudo; i++)
        if (strcmp(t, pseudo[i]) == 0)
            return true;
    return false;
}

static int join(char *buf, size_t len, const char *a, const char *b)
{
    int n = snprintf(buf, len, "%s%s", a, strcmp(b, "/") == 0 ? "" : b);
    if (n < 0 || (size_t)n >= len) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

/* Give a directory we create the mode and (best effort) owner of the one it stands for. */
static void copy_dir_attrs(const char *dst, const struct stat *st)
{
    struct stat now;
    if (lstat(dst, &now) == 0 && (now.st_mode & 07777) == (st->st_mode & 07777) && now.st_uid == st->st_uid &&
        now.st_gid == st->st_gid)
        return; /* mostly: a new directory of ours, like the host's / (root's, 0755) */
    (void)chmod(dst, st->st_mode & 07777);
    /* Fails in a user namespace for unmapped owners: the directory stays ours. */
    if (lchown(dst, st->st_uid, st->st_gid) == 0)
        (void)chmod(dst, st->st_mode & 07777); /* chown cleared set-id bits */
}

/* The overlay option parser splits on ',' and ':' and eats '\\': refuse such paths. */
static bool overlay_safe_path(const char *p)
{
    return strpbrk(p, ",:\\") == NULL;
}

/*
 * Mount an overlay at target: lowerdir = src (a host directory, in the old root),
 * upperdir and workdir fresh in the scratch tmpfs.
 */
static int mount_overlay(struct host_mounts *h, const char *src, const char *target,
                         unsigned long flags)
{
    if (!overlay_safe_path(src)) {
        errno = EINVAL;
        return -1;
    }
    struct stat st;
    if (stat(src, &st) < 0)
        return -1;
    char upper[64], work[64], data[PATH_MAX + 160];
    unsigned n = h->layers++;
    (void)snprintf(upper, sizeof upper, AX_SCRATCH "/u%u", n);
    (void)snprintf(work, sizeof work, AX_SCRATCH "/w%u", n);
    if ((mkdir(upper, 0755) < 0 && errno != EEXIST) || mkdir(work, 0700) < 0) /* the root's upper may be prepared */
        return -1;
    /* The merged root directory shows the upper directory's mode and owner. */
    copy_dir_attrs(upper, &st);
    int len = snprintf(data, sizeof data, "lowerdir=%s,upperdir=%s,workdir=%s", src, upper, work);
    if (len < 0 || (size_t)len >= sizeof data) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return mount("overlay", target, "overlay", flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC), data);
}

/* Bind src (recursively if need be) on target, then make it read-only. */
static int mount_ro_bind(const char *src, const char *target)
{
    if (mount(src, target, NULL, MS_BIND, NULL) < 0) {
        /* In a user namespace, a mount with locked children only binds recursively;
         * its children are then covered by their own copies (parents come first). */
        if (errno != EINVAL || mount(src, target, NULL, MS_BIND | MS_REC, NULL) < 0)
            return -1;
    }
    unsigned long kept = 0;
    if (kept_mount_flags(target, &kept) < 0)
        return -1;
    return mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | kept, NULL);
}

static int copy_on_write_dir(struct host_mounts *h, const char *src, const char *target,
                             unsigned long flags, char *err, size_t errlen);

/*
 * When src cannot be an overlay's lower layer as a whole (in a user namespace the
 * kernel refuses a directory with locked mounts below it), rebuild it one level down:
 * target is a directory of the scratch tmpfs, each subdirectory becomes its own
 * overlay (or is rebuilt the same way if mounts lie below it), symlinks are copied and
 * files bound read-only. Only directories on the way to a mount point are listed.
 */
static int compose_dir(struct host_mounts *h, const char *src, const char *target,
                       unsigned long flags, char *err, size_t errlen)
{
    DIR *d = opendir(src);
    if (!d) {
        ax_errf(err, errlen, "sandbox: list %s: %s", src, strerror(errno));
        return -1;
    }
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (errno = 0, e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char s[PATH_MAX], t[PATH_MAX];
        if (snprintf(s, sizeof s, "%s/%s", strcmp(src, "/") ? src : "", e->d_name) >= (int)sizeof s ||
            snprintf(t, sizeof t, "%s/%s", target, e->d_name) >= (int)sizeof t)
            continue; /* too long to reproduce: left out */
        struct stat st;
        if (lstat(s, &st) < 0)
            continue; /* vanished */
        if (S_ISDIR(st.st_mode)) {
            if (mkdir(t, 0755) < 0 && errno != EEXIST) {
                ax_errf(err, errlen, "sandbox: create %s: %s", t, strerror(errno));
                rc = -1;
                break;
            }
            copy_dir_attrs(t, &st);
            /* Mount points are filled by mount_host_submounts, system paths later. */
            if (is_mount_point(h, s) || is_system_path(s))
                continue;
            rc = copy_on_write_dir(h, s, t, flags, err, errlen);
        } else if (S_ISLNK(st.st_mode)) {
            char link[PATH_MAX];
            ssize_t n = readlink(s, link, sizeof link - 1);
            if (n < 0)
                continue;
            link[n] = '\0';
            if (symlink(link, t) < 0 && errno != EEXIST) {
                ax_errf(err, errlen, "sandbox: create %s: %s", t, strerror(errno));
                rc = -1;
            }
        } else if (S_ISREG(st.st_mode)) {
            int fd = open(t, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, st.st_mode & 0777);
            if (fd >= 0)
                (void)close(fd);
            if (is_mount_point(h, s))
                continue;
            if (fd < 0 || mount_ro_bind(s, t) < 0) {
                ax_errf(err, errlen, "sandbox: bind %s read-only: %s", s, strerror(errno));
                rc = -1;
            }
        }
        /* Sockets, FIFOs and devices at this level are left out. */
    }
    if (rc == 0 && errno != 0) {
        ax_errf(err, errlen, "sandbox: list %s: %s", src, strerror(errno));
        rc = -1;
    }
    (void)closedir(d);
    return rc;
}

/* Make target a copy-on-write view of the host directory src. */
static int copy_on_write_dir(struct host_mounts *h, const char *src, const char *target,
                             unsigned long flags, char *err, size_t errlen)
{
    if (mount_overlay(h, src, target, flags) == 0)
        return 0;
    int e = errno;
    if (e == EINVAL && mounts_below(h, src))
        return compose_dir(h, src, target, flags, err, errlen);
    ax_errf(err, errlen, "sandbox: mount overlay of %s on %s: %s", src, target, strerror(e));
    errno = e;
    return -1;
}

/*
 * Recreate every host mount but the root inside the new root, parents first:
 *   /proc, /sys, /dev,      moved in, or recursive binds (shared as they are; the step is in the host's
 *   pseudo fs               pid namespace, so a bound /proc shows what a fresh one would, and
 *                           costs no file system to set up and tear down per step)
 *   under /tmp              nothing (the step gets a fresh /tmp)
 *   read-write directories  an overlay each (copy-on-write); read-only bind if the
 *                           overlay is refused (unsupported lower file system)
 *   read-only mounts, files read-only binds
 */
static int mount_host_submounts(struct host_mounts *h, char *err, size_t errlen)
{
    for (size_t i = 0; i < h->n; i++) {
        struct host_mount *m = &h->m[i];
        if (m->done || strcmp(m->path, "/") == 0 || path_under(m->path, "/tmp") || path_under(m->path, "/dev"))
            continue; /* /dev: build_dev makes a pod's */
        char target[PATH_MAX];
        if (join(target, sizeof target, AX_NEWROOT, m->path) < 0)
            continue;
        struct stat st;
        if (lstat(target, &st) < 0 || stat(m->path, &st) < 0)
            continue; /* hidden under another mount: nothing to show */
        bool recursive = false;
        int rc;
        const char *what;
        if (is_pseudo_fs(m->fstype) || is_system_path(m->path)) {
            recursive = true;
            /* This namespace's copy of the mount moves into the new root with those below
             * it: nothing is copied now or left to tear down with the old root. In a user
             * namespace the copies are locked to their parent and cannot move: bind them. */
            rc = mount(m->path, target, NULL, MS_MOVE, NULL);
            if (rc < 0)
                rc = mount(m->path, target, NULL, MS_BIND | MS_REC, NULL);
            what = "bind";
        } else if (!(m->flags & MS_RDONLY) && S_ISDIR(st.st_mode)) {
            rc = mount_overlay(h, m->path, target, m->flags);
            what = "overlay";
            if (rc < 0 && errno == EINVAL && mounts_below(h, m->path)) {
                rc = compose_dir(h, m->path, target, m->flags, err, errlen);
                if (rc < 0)
                    return -1;
            } else if (rc < 0) { /* e.g. a file system overlay cannot use as lower */
                rc = mount_ro_bind(m->path, target);
                what = "bind read-only";
            }
        } else {
            rc = mount_ro_bind(m->path, target);
            what = "bind read-only";
        }
        if (rc < 0) {
            ax_errf(err, errlen, "sandbox: %s %s: %s", what, m->path, strerror(errno));
            return -1;
        }
        if (recursive)
            for (size_t j = i + 1; j < h->n; j++)
                if (path_under(h->m[j].path, m->path))
                    h->m[j].done = true;
    }
    return 0;
}

static void mount_devpts(const char *pts);

/* A pod's /dev: these character devices (as the host has them), these links, and shm and pts directories. */
static const char *const pod_devices[] = {"null", "zero", "full", "random", "urandom", "tty"};
static const char *const pod_dev_links[][2] = {
    {"fd", "/proc/self/fd"}, {"stdin", "/proc/self/fd/0"}, {"stdout", "/proc/self/fd/1"},
    {"stderr", "/proc/self/fd/2"}, {"ptmx", "pts/ptmx"},
};

/* The links of a pod's /dev and its shm and pts directories, in the directory DEV. */
static int make_dev_links_and_dirs(const char *dev, char *err, size_t errlen)
{
    char path[PATH_MAX];
    for (size_t i = 0; i < sizeof pod_dev_links / sizeof *pod_dev_links; i++) {
        (void)snprintf(path, sizeof path, "%s/%s", dev, pod_dev_links[i][0]);
        if (symlink(pod_dev_links[i][1], path) < 0) {
            ax_errf(err, errlen, "sandbox: link /dev/%s: %s", pod_dev_links[i][0], strerror(errno));
            return -1;
        }
    }
    (void)snprintf(path, sizeof path, "%s/shm", dev);
    if (mkdir(path, 01777) < 0 || chmod(path, 01777) < 0) { /* chmod: past the umask */
        ax_errf(err, errlen, "sandbox: create /dev/shm: %s", strerror(errno));
        return -1;
    }
    (void)snprintf(path, sizeof path, "%s/pts", dev);
    if (mkdir(path, 0755) < 0) {
        ax_errf(err, errlen, "sandbox: create /dev/pts: %s", strerror(errno));
        return -1;
    }
    return 0;
}

/*
 * A pod's /dev in the new root instead of the host's, when prepare_root_upper could not make it: a small
 * tmpfs with the harmless character devices bound from the host, the usual links, a private devpts instance
 * for terminals, and shm (a fresh tmpfs goes there later). No disks, no /dev/mem, no other terminals: a step cannot read the host's storage
 * through them.
 */
static int build_dev(char *err, size_t errlen)
{
    const char *dev = AX_NEWROOT "/dev";
    struct stat st;
    if (stat(dev, &st) < 0 || !S_ISDIR(st.st_mode))
        return 0; /* no /dev in the root: nothing to cover */
    if (mount("tmpfs", dev, "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=64k,nr_inodes=64") < 0) {
        ax_errf(err, errlen, "sandbox: mount tmpfs on /dev: %s", strerror(errno));
        return -1;
    }
    char path[PATH_MAX], src[64];
    for (size_t i = 0; i < sizeof pod_devices / sizeof *pod_devices; i++) {
        (void)snprintf(src, sizeof src, "/dev/%s", pod_devices[i]);
        (void)snprintf(path, sizeof path, "%s/%s", dev, pod_devices[i]);
        if (stat(src, &st) < 0 || !S_ISCHR(st.st_mode))
            continue; /* the host has none */
        int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0666);
        if (fd < 0 || close(fd) < 0 || mount(src, path, NULL, MS_BIND, NULL) < 0) {
            ax_errf(err, errlen, "sandbox: bind %s: %s", src, strerror(errno));
            return -1;
        }
    }
    if (make_dev_links_and_dirs(dev, err, errlen) < 0)
        return -1;
    (void)snprintf(path, sizeof path, "%s/pts", dev);
    /* Terminals of the step's own: a new devpts instance (none of the host's sessions). Best effort: a step
     * that opens no terminal does not need it, and some kernels refuse it in a user namespace. */
    mount_devpts(path);
    return 0;
}

/* Cover each --hide directory (outside /tmp, which is fresh already) with an empty read-only tmpfs. */
static int hide_dirs(const struct ax_options *opt, char *err, size_t errlen)
{
    for (size_t i = 0; i < opt->nhide; i++) {
        const char *dir = opt->hide[i];
        struct stat st;
        if (path_under(dir, "/tmp") || stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
            continue; /* hidden already, or not there to see */
        if (mount("tmpfs", dir, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0755,size=4k") < 0) {
            ax_errf(err, errlen, "sandbox: hide %s: %s", dir, strerror(errno));
            return -1;
        }
    }
    return 0;
}

/* The host mount a path lies on: the longest mount path that is a prefix of it. */
static const struct host_mount *mount_of(const struct host_mounts *h, const char *path)
{
    const struct host_mount *best = NULL;
    for (size_t i = 0; i < h->n; i++)
        if (path_under(path, h->m[i].path) && (!best || strlen(h->m[i].path) > strlen(best->path)))
            best = &h->m[i];
    return best;
}

/*
 * Without a user namespace, the root overlay's upper layer (AX_SCRATCH "/u0", the first layer) is prepared
 * before the overlay is mounted, which costs no mount to make and none to tear down:
 *   - /dev: an opaque directory (the host's /dev beneath is not merged in) with the pod's device nodes made
 *     with mknod, its links, and shm and pts directories (build_dev is skipped);
 *   - each --hide directory on the root file system: an overlay whiteout, so that it does not exist in the
 *     view (hide_dirs then finds nothing to cover).
 * Returns 1 when /dev was made here, 0 when it was not (build_dev makes it), -1 on error.
 */
static int prepare_root_upper(const struct host_mounts *h, const struct ax_options *opt, char *err, size_t errlen)
{
    const char *upper = AX_SCRATCH "/u0";
    if (mkdir(upper, 0755) < 0) {
        ax_errf(err, errlen, "sandbox: create %s: %s", upper, strerror(errno));
        return -1;
    }
    char path[PATH_MAX];
    for (size_t i = 0; opt && i < opt->nhide; i++) {
        const char *dir = opt->hide[i];
        const struct host_mount *m = mount_of(h, dir);
        if (path_under(dir, "/tmp") || !m || strcmp(m->path, "/") != 0)
            continue; /* /tmp is fresh anyway; on another file system, hide_dirs covers it */
        if (join(path, sizeof path, upper, dir) < 0)
            continue;
        /* The parents, with the host's modes and owners (a merged directory shows its upper's). */
        for (char *slash = path + strlen(upper) + 1; (slash = strchr(slash, '/')) != NULL; slash++) {
            *slash = '\0';
            struct stat st;
            if (stat(path + strlen(upper), &st) == 0 && mkdir(path, 0755) == 0)
                copy_dir_attrs(path, &st);
            *slash = '/';
        }
        if (mknod(path, S_IFCHR, makedev(0, 0)) < 0 && errno != EEXIST) {
            ax_errf(err, errlen, "sandbox: hide %s: %s", dir, strerror(errno));
            return -1;
        }
    }
    struct stat st;
    if (stat("/dev", &st) < 0 || !S_ISDIR(st.st_mode))
        return 0;
    const char *dev = AX_SCRATCH "/u0/dev";
    if (mkdir(dev, 0755) < 0 || setxattr(dev, "trusted.overlay.opaque", "y", 1, 0) < 0)
        return 0; /* no opaque directories here: build_dev mounts a tmpfs */
    for (size_t i = 0; i < sizeof pod_devices / sizeof *pod_devices; i++) {
        char src[64], node[128];
        (void)snprintf(src, sizeof src, "/dev/%s", pod_devices[i]);
        (void)snprintf(node, sizeof node, "%s/%s", dev, pod_devices[i]);
        if (stat(src, &st) < 0 || !S_ISCHR(st.st_mode))
            continue;
        if (mknod(node, S_IFCHR | 0666, st.st_rdev) < 0 || chmod(node, 0666) < 0) {
            ax_errf(err, errlen, "sandbox: make /dev/%s: %s", pod_devices[i], strerror(errno));
            return -1;
        }
    }
    return make_dev_links_and_dirs(dev, err, errlen) < 0 ? -1 : 1;
}

/* A devpts instance of the step's own on /dev/pts (see build_dev). */
static void mount_devpts(const char *pts)
{
    (void)mount("devpts", pts, "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620");
}

/* Build AX_NEWROOT: the copy-on-write root and the host's other mounts. */
static int build_root(struct host_mounts *h, const struct ax_options *opt, bool privileged, char *err,
                      size_t errlen)
{
    if (host_mounts(h, err, errlen) < 0)
        return -1;
    if (mount("tmpfs", AX_SCRATCH, "tmpfs", AX_TMPFS_FLAGS, AX_TMPFS_DATA) < 0) {
        ax_errf(err, errlen, "sandbox: mount scratch tmpfs on " AX_SCRATCH ": %s", strerror(errno));
        return -1;
    }
    if (mkdir(AX_NEWROOT, 0755) < 0) {
        ax_errf(err, errlen, "sandbox: create " AX_NEWROOT ": %s", strerror(errno));
        return -1;
    }
    unsigned long root_flags = 0;
    for (size_t i = 0; i < h->n; i++)
        if (strcmp(h->m[i].path, "/") == 0)
            root_flags = h->m[i].flags;
    int dev_made = 0;
    if (privileged && h->layers == 0 && (dev_made = prepare_root_upper(h, opt, err, errlen)) < 0)
        return -1;
    if (mount_overlay(h, "/", AX_NEWROOT, root_flags) < 0) {
        int e = errno;
        if (e == ENODEV) {
            ax_errf(err, errlen, "sandbox: overlayfs is not available (mount overlay: %s); "
                    "refusing to run the step with writes reaching the host", strerror(e));
            return -1;
        }
        if (e != EINVAL || !mounts_below(h, "/")) {
            ax_errf(err, errlen, "sandbox: mount overlay of / on " AX_NEWROOT ": %s", strerror(e));
            return -1;
        }
        /* A user namespace: / has locked mounts below it. Rebuild it one level down on
         * a directory of the scratch tmpfs, made a mount point for pivot_root. */
        struct stat st;
        if (stat("/", &st) == 0)
            copy_dir_attrs(AX_NEWROOT, &st);
        if (mount(AX_NEWROOT, AX_NEWROOT, NULL, MS_BIND, NULL) < 0) {
            ax_errf(err, errlen, "sandbox: bind " AX_NEWROOT ": %s", strerror(errno));
            return -1;
        }
        if (compose_dir(h, "/", AX_NEWROOT, root_flags, err, errlen) < 0)
            return -1;
    }
    if (mount_host_submounts(h, err, errlen) < 0)
        return -1;
    if (dev_made) {
        mount_devpts(AX_NEWROOT "/dev/pts");
        return 0;
    }
    return build_dev(err, errlen);
}

/* Switch to AX_NEWROOT; the old root stays reachable at AX_OLDROOT for the binds. */
static int enter_root(char *err, size_t errlen)
{
    if (chdir(AX_NEWROOT) < 0) {
        ax_errf(err, errlen, "sandbox: chdir " AX_NEWROOT ": %s", strerror(errno));
        return -1;
    }
    if (mkdir("." AX_OLDROOT, 0700) < 0 && errno != EEXIST) {
        ax_errf(err, errlen, "sandbox: create " AX_OLDROOT ": %s", strerror(errno));
        return -1;
    }
    if (syscall(SYS_pivot_root, ".", "." AX_OLDROOT) < 0) {
        ax_errf(err, errlen, "sandbox: pivot_root: %s", strerror(errno));
        return -1;
    }
    if (chdir("/") < 0) {
        ax_errf(err, errlen, "sandbox: chdir /: %s", strerror(errno));
        return -1;
    }
    return 0;
}

static int leave_old_root(char *err, size_t errlen)
{
    if (umount2(AX_OLDROOT, MNT_DETACH) < 0) {
        ax_errf(err, errlen, "sandbox: detach the old root: %s", strerror(errno));
        return -1;
    }
    (void)rmdir(AX_OLDROOT); /* only in the throwaway layer; harmless if it stays */
    return 0;
}

/* The host's /proc, kept open by a supervisor that leads its own pid namespace (see own_proc). */
static int host_proc_fd = -1;

/*
 * The pid namespace's own /proc over the host's (moved into the view): the step sees its own processes only.
 * Mounted by the namespace's first process, which is the caller; the host's stays reachable through a
 * descriptor, for ax_sandbox_host_pid_of_child.
 */
static int own_proc(char *err, size_t errlen)
{
    host_proc_fd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
        ax_errf(err, errlen, "sandbox: mount the step's /proc: %s", strerror(errno));
        return -1;
    }
    return 0;
}

pid_t ax_sandbox_host_pid_of_child(pid_t pid)
{
    if (host_proc_fd < 0)
        return pid;
    int fd = openat(host_proc_fd, "thread-self/children", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return pid;
    char buf[64];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    (void)close(fd);
    if (n <= 0)
        return pid;
    buf[n] = '\0';
    long v = strtol(buf, NULL, 10);
    return v > 0 ? (pid_t)v : pid;
}

static int build_view(struct ax_options *opt, char *err, size_t errlen)
{
    /* The step starts in the caller's working directory, as seen in its own view. */
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd))
        strcpy(cwd, "/");
    bool privileged = true;
    if (unshare(CLONE_NEWNS) < 0) {
        if (errno != EPERM) {
            ax_errf(err, errlen, "sandbox: unshare(CLONE_NEWNS): %s", strerror(errno));
            return -1;
        }
        if (enter_user_and_mount_ns(err, errlen) < 0)
            return -1;
        privileged = false;
    }
    /* Without this, our mounts would propagate back to the host's shared mounts. */
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
        ax_errf(err, errlen, "sandbox: make / private: %s", strerror(errno));
        return -1;
    }
    /* Now, inside the namespace (bind sources must belong to it) and before the old
     * /tmp is covered (a source may live under the host's /tmp). */
    if (open_bind_sources(opt, err, errlen) < 0)
        return -1;
    struct host_mounts h = {0};
    int rc = build_root(&h, opt, privileged, err, errlen);
    free_host_mounts(&h);
    if (rc < 0 || enter_root(err, errlen) < 0)
        return -1;
    if (opt->own_proc && own_proc(err, errlen) < 0)
        return -1;
    if (mount_tmpfs("/tmp", err, errlen) < 0)
        return -1;
    /* POSIX shared memory is per step too (the host's /dev tree is bound as is). */
    struct stat st;
    if (stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) && mount_tmpfs("/dev/shm", err, errlen) < 0)
        return -1;
    if (hide_dirs(opt, err, errlen) < 0)
        return -1;
    for (size_t i = 0; i < opt->ntmpfs; i++)
        if (mount_tmpfs(opt->tmpfs[i], err, errlen) < 0)
            return -1;
    for (size_t i = 0; i < opt->nbinds; i++)
        if (mount_bind(&opt->binds[i], err, errlen) < 0)
            return -1;
    if (leave_old_root(err, errlen) < 0)
        return -1;
    if (chdir(cwd) < 0 && chdir("/") < 0) {
        ax_errf(err, errlen, "sandbox: chdir /: %s", strerror(errno));
        return -1;
    }
    return 0;
}

/* DIR looks the same in the step's view as on the host (see ax_sandbox_find_program). */
static bool same_in_view(const struct ax_options *opt, const char *dir)
{
    if (path_under(dir, "/tmp") || path_under(dir, "/dev"))
        return false; /* a fresh /tmp and /dev/shm */
    for (size_t i = 0; i < opt->nbinds; i++)
        if (path_under(dir, opt->binds[i].dst) || path_under(opt->binds[i].dst, dir))
            return false;
    for (size_t i = 0; i < opt->ntmpfs; i++)
        if (path_under(dir, opt->tmpfs[i]) || path_under(opt->tmpfs[i], dir))
            return false;
    for (size_t i = 0; i < opt->nhide; i++)
        if (path_under(dir, opt->hide[i]))
            return false;
    return true;
}

int ax_sandbox_find_program(const struct ax_options *opt, const char *path, char *out, size_t outlen)
{
    const char *file = opt->argv ? opt->argv[0] : NULL;
    if (!opt->sandbox || geteuid() != 0 || !path || !file || !file[0] || strchr(file, '/'))
        return -1; /* without root the view is built in a user namespace: let the step's own search decide */
    for (const char *p = path;;) {
        const char *end = strchrnul(p, ':');
        size_t len = (size_t)(end - p);
        char dir[PATH_MAX];
        if (len == 0 || p[0] != '/' || len >= sizeof dir)
            return -1; /* a relative entry is resolved in the step's working directory */
        memcpy(dir, p, len);
        dir[len] = '\0';
        if (!same_in_view(opt, dir))
            return -1;
        int n = snprintf(out, outlen, "%s/%s", dir, file);
        if (n < 0 || (size_t)n >= outlen)
            return -1;
        struct stat st;
        if (stat(out, &st) == 0 && S_ISREG(st.st_mode) && access(out, X_OK) == 0)
            return 0;
        if (!*end)
            return -1;
        p = end + 1;
    }
}


/* Docker's default capabilities for a container, without CAP_MKNOD (the step's /dev is made for it). */
static const uint64_t step_capabilities =
    1ULL << CAP_CHOWN | 1ULL << CAP_DAC_OVERRIDE | 1ULL << CAP_FOWNER | 1ULL << CAP_FSETID | 1ULL << CAP_KILL |
    1ULL << CAP_SETGID | 1ULL << CAP_SETUID | 1ULL << CAP_SETPCAP | 1ULL << CAP_NET_BIND_SERVICE |
    1ULL << CAP_NET_RAW | 1ULL << CAP_SYS_CHROOT | 1ULL << CAP_AUDIT_WRITE | 1ULL << CAP_SETFCAP;

/*
 * Limit what any program this process or its children exec may hold to a pod's capabilities.
 * The bounding set, the ambient set and the inheritable set are inherited across fork and
 * bound every exec, while this process keeps its own effective capabilities (the supervisor
 * still mounts the step's /proc and signals it). Done once when the view is built, so the
 * step's path from clone to exec makes no capability calls at all.
 */
static int bound_capabilities(char *err, size_t errlen)
{
    for (int cap = 0; cap < 64; cap++) {
        if (step_capabilities >> cap & 1)
            continue;
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
            if (errno == EINVAL)
                break; /* past the kernel's last capability */
            ax_errf(err, errlen, "sandbox: drop capability %d: %s", cap, strerror(errno));
            return -1;
        }
    }
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) {
        ax_errf(err, errlen, "sandbox: clear ambient capabilities: %s", strerror(errno));
        return -1;
    }
    struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct data[2];
    if (syscall(SYS_capget, &header, data) < 0) {
        ax_errf(err, errlen, "sandbox: capget: %s", strerror(errno));
        return -1;
    }
    for (int i = 0; i < 2; i++)
        data[i].inheritable &= (uint32_t)(step_capabilities >> (32 * i));
    if (syscall(SYS_capset, &header, data) < 0) {
        ax_errf(err, errlen, "sandbox: capset: %s", strerror(errno));
        return -1;
    }
    return 0;
}

int ax_sandbox_setup(struct ax_options *opt, char *err, size_t errlen)
{
    int rc = build_view(opt, err, errlen);
    close_bind_sources(opt);
    if (rc == 0)
        rc = bound_capabilities(err, errlen);
    return rc;
}
