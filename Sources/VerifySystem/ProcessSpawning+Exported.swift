// The spawner and errno text moved from this module into ProcessSpawning (so that the engine can
// start gpg with it without linking TOMLKit or swift-log). verifyd and verifyd-hooks use them
// through this module as before.
@_exported import ProcessSpawning
