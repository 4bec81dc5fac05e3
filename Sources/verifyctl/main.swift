import VerifyCLI

Verifyctl.main()
