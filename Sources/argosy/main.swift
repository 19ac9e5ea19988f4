print("argosy")
