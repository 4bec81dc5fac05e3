/// The release of verifyd, verifyctl and verifyd-hooks (they ship together).
public enum VerifydRelease {
    public static let version = "0.3.0"
}
