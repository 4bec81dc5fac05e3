import VerifyHooks

await HooksCommand.start()
