import ArgosyCLI

/// The `argosy` command: everything lives in ArgosyCLI.
@main
enum Main {
    static func main() async {
        ArgosyCommand.bootstrapLogging()
        await ArgosyCommand.main()
    }
}
