/* stamp: print CLOCK_REALTIME in nanoseconds since the epoch and exit. The step of the
 * start-latency probe (bench/run.py --startup); built static when possible so that its
 * own start-up (dynamic loading) stays out of the number. */
#include <stdio.h>
#include <time.h>

int main(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    printf("%lld\n", (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
    return 0;
}
