/*
 * Baseline runner for Argosy's bench driver (bench/run.py).
 *
 *   runner [-j JOBS] [-m plain|ns|overlay] GRAPH [CMD ARGS...]
 *
 * Every "{i}" in CMD's arguments becomes the task's index (e.g. a per-task folder).
 * GRAPH: first line the task count N, then one line per task in topological order:
 * "<ndeps> <dep> <dep> ..." (dependencies are indices of earlier tasks).
 * Runs CMD (default: true) once per task, never more than JOBS at a time, starting a
 * task as soon as all its dependencies have exited 0. Exits 1 if any task failed
 * (successors of a failed task never start), 0 otherwise.
 *
 *   -m plain  posix_spawnp: the raw cost of starting a process (the floor).
 *   -m ns     fork; the child enters a fresh mount namespace (unshare(CLONE_NEWNS)),
 *             makes every mount private and mounts a new tmpfs on /tmp, then execs:
 *             the isolation Argosy's steps get at the least (private /tmp).
 *   -m overlay  like ns, and then a copy-on-write root as argosy-exec builds it (in
 *             simplified form): a scratch tmpfs, an overlay with lowerdir=/ and its
 *             upper/work layers on that tmpfs, chroot into it, a fresh tmpfs on /tmp.
 *             (argosy-exec also recreates the host's other mounts inside the new root
 *             and uses pivot_root; this mode leaves those out.)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static int n;
static int *ndeps_left;   /* unfinished dependencies per task */
static int **succ;        /* successors per task */
static int *nsucc, *capsucc;
static int *ready, nready; /* stack of runnable tasks */
static pid_t *pid_of_slot;
static int *task_of_slot;

static void die(const char *m) { perror(m); exit(2); }

static void add_succ(int from, int to)
{
    if (nsucc[from] == capsucc[from]) {
        capsucc[from] = capsucc[from] ? capsucc[from] * 2 : 4;
        succ[from] = realloc(succ[from], sizeof(int) * (size_t)capsucc[from]);
        if (!succ[from]) die("realloc");
    }
    succ[from][nsucc[from]++] = to;
}

#define CHK(call, what) do { if ((call) < 0) { perror(what); _exit(126); } } while (0)

static int templated; /* some argument holds "{i}" */

/* CMD with every "{i}" replaced by the task index (freshly allocated; the caller frees). */
static char **expand(char **cmd, int task)
{
    int argc = 0;
    while (cmd[argc]) argc++;
    char **out = calloc((size_t)argc + 1, sizeof(char *));
    char idx[16];
    snprintf(idx, sizeof idx, "%d", task);
    for (int a = 0; a < argc; a++) {
        out[a] = malloc(strlen(cmd[a]) * 8 + 16);
        char *o = out[a];
        for (const char *c = cmd[a]; *c;) {
            if (!strncmp(c, "{i}", 3)) { o = stpcpy(o, idx); c += 3; }
            else *o++ = *c++;
        }
        *o = 0;
    }
    return out;
}

static void release(char **v)
{
    for (int a = 0; v[a]; a++) free(v[a]);
    free(v);
}

static pid_t start(char **cmd, int ns)
{
    if (!ns) {
        pid_t p;
        int rc = posix_spawnp(&p, cmd[0], NULL, NULL, cmd, environ);
        if (rc) { errno = rc; die("posix_spawnp"); }
        return p;
    }
    pid_t p = fork();
    if (p < 0) die("fork");
    if (p == 0) {
        CHK(unshare(CLONE_NEWNS), "unshare(CLONE_NEWNS)");
        CHK(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), "mount --make-rprivate /");
        if (ns == 2) {
            CHK(mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700"), "mount scratch tmpfs");
            CHK(mkdir("/tmp/u", 0755), "mkdir u");
            CHK(mkdir("/tmp/w", 0755), "mkdir w");
            CHK(mkdir("/tmp/r", 0755), "mkdir r");
            CHK(mount("overlay", "/tmp/r", "overlay", 0, "lowerdir=/,upperdir=/tmp/u,workdir=/tmp/w"), "mount overlay");
            CHK(chroot("/tmp/r"), "chroot");
            CHK(chdir("/"), "chdir");
        }
        CHK(mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777"), "mount tmpfs /tmp");
        execvp(cmd[0], cmd);
        perror(cmd[0]);
        _exit(127);
    }
    return p;
}

int main(int argc, char **argv)
{
    int jobs = 4, ns = 0, opt;
    while ((opt = getopt(argc, argv, "+j:m:")) != -1) {
        if (opt == 'j') jobs = atoi(optarg);
        else if (opt == 'm') ns = !strcmp(optarg, "ns") ? 1 : !strcmp(optarg, "overlay") ? 2 : 0;
        else { fprintf(stderr, "usage: runner [-j JOBS] [-m plain|ns|overlay] GRAPH [CMD...]\n"); return 2; }
    }
    if (optind >= argc || jobs < 1) { fprintf(stderr, "usage: runner [-j JOBS] [-m plain|ns|overlay] GRAPH [CMD...]\n"); return 2; }
    FILE *f = fopen(argv[optind], "r");
    if (!f) die(argv[optind]);
    char *deflt[] = {"true", NULL};
    char **cmd = optind + 1 < argc ? argv + optind + 1 : deflt;
    for (int a = 0; cmd[a]; a++)
        if (strstr(cmd[a], "{i}")) templated = 1;

    if (fscanf(f, "%d", &n) != 1 || n < 0) { fprintf(stderr, "bad graph\n"); return 2; }
    ndeps_left = calloc((size_t)n + 1, sizeof(int));
    succ = calloc((size_t)n + 1, sizeof(int *));
    nsucc = calloc((size_t)n + 1, sizeof(int));
    capsucc = calloc((size_t)n + 1, sizeof(int));
    ready = calloc((size_t)n + 1, sizeof(int));
    pid_of_slot = calloc((size_t)jobs, sizeof(pid_t));
    task_of_slot = calloc((size_t)jobs, sizeof(int));
    for (int i = 0; i < n; i++) {
        int k;
        if (fscanf(f, "%d", &k) != 1) { fprintf(stderr, "bad graph line %d\n", i + 2); return 2; }
        ndeps_left[i] = k;
        for (int j = 0; j < k; j++) {
            int d;
            if (fscanf(f, "%d", &d) != 1 || d < 0 || d >= i) { fprintf(stderr, "bad dep on line %d\n", i + 2); return 2; }
            add_succ(d, i);
        }
    }
    fclose(f);
    /* Push roots in reverse so that the stack pops them in file order. */
    for (int i = n - 1; i >= 0; i--)
        if (ndeps_left[i] == 0) ready[nready++] = i;

    int running = 0, done = 0, failed = 0;
    while (done < n) {
        while (nready > 0 && running < jobs && !failed) {
            int t = ready[--nready];
            int s = 0;
            while (pid_of_slot[s]) s++;
            if (templated) {
                char **c = expand(cmd, t);
                pid_of_slot[s] = start(c, ns);
                release(c);
            } else {
                pid_of_slot[s] = start(cmd, ns);
            }
            task_of_slot[s] = t;
            running++;
        }
        if (running == 0) break;
        int status;
        pid_t p = waitpid(-1, &status, 0);
        if (p < 0) { if (errno == EINTR) continue; die("waitpid"); }
        int s = 0;
        while (s < jobs && pid_of_slot[s] != p) s++;
        if (s == jobs) continue;
        int t = task_of_slot[s];
        pid_of_slot[s] = 0;
        running--;
        done++;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) { failed = 1; continue; }
        /* Push successors in reverse so that they start in index order. */
        for (int j = nsucc[t] - 1; j >= 0; j--)
            if (--ndeps_left[succ[t][j]] == 0) ready[nready++] = succ[t][j];
    }
    if (failed || done < n) { fprintf(stderr, "runner: %d of %d tasks done, failed=%d\n", done, n, failed); return 1; }
    return 0;
}
