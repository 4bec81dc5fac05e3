/// An Alertmanager that `verifyd-hooks` posts every alert to, on its v2 API (`[[alertmanager]]`).
/// verifyd-hooks sends, not verifyd: it is the one of the two with the network.
public struct AlertmanagerConfiguration: Sendable, Equatable {
    /// The Alertmanager's base URL (`http://am.example.org:9093`); alerts go to
    /// `URL/api/v2/alerts`.
    public var url: String
    /// Basic authentication: the user, and a file holding the password (one line).
    public var username: String?
    public var passwordFile: String?
    /// PEM file of the CA that signed the Alertmanager's certificate (https).
    public var caFile: String?
    /// One post may take this long before it is retried.
    public var timeout: Double = 10
    /// Firing alerts are posted again this often while their problem lasts, so that Alertmanager
    /// (whose `resolve_timeout` is 5 minutes by default) does not resolve them by itself.
    public var repostInterval: Double = 60
    /// The `host` label; this machine's name unless set.
    public var host: String?

    public init(url: String) { self.url = url }

    /// The target's name in logs and its cursor file: the URL without its credentials, if any.
    public var name: String {
        guard let at = url.firstIndex(of: "@"), let scheme = url.range(of: "://"), scheme.upperBound < at else { return url }
        return String(url[..<scheme.upperBound]) + String(url[url.index(after: at)...])
    }
}
