// argosy-exec is plain C, but SwiftPM links every executable with swiftrt.o, whose constructor registers the
// image with the Swift runtime. Linked dynamically, that made the loader map and relocate libswiftCore.so and
// libstdc++ on every step start (about 1 ms). These no-op definitions satisfy swiftrt.o's two references, so
// the static link (-static-executable in Package.swift) takes nothing from the Swift runtime archives and the
// supervisor is a small static binary that starts without the dynamic loader. There is no Swift code to
// register.
#include <stdbool.h>

void swift_addNewDSOImage(const void *image) { (void)image; }

bool _swift_backtrace_isThunkFunction(const char *name) {
    (void)name;
    return false;
}
