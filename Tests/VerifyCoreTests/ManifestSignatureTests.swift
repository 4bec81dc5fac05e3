import Crypto
import Foundation
import Testing
@testable import VerifyCore

/// Issue 18 §2, the pure part: minisign and signify files made here with swift-crypto's Ed25519
/// (the real tools are in VerifyCLITests.SignedManifestTests), and odd or hostile files.
@Suite struct ManifestSignatureTests {
    let key = Curve25519.Signing.PrivateKey()
    let keyID: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8]
    let message = Array("0123abcd  a.txt\n".utf8)

    var publicKeyFile: [UInt8] {
        Array(("untrusted comment: minisign public key\n" + Data([0x45, 0x64] + keyID + key.publicKey.rawRepresentation).base64EncodedString() + "\n").utf8)
    }

    func signature(algorithm: String = "ED", comment: String? = "nightly", id: [UInt8]? = nil, over: [UInt8]? = nil) throws -> String {
        let signed = algorithm == "ED" ? Blake2b.hash(over ?? message) : (over ?? message)
        let raw = Array(try key.signature(for: signed))
        var text = "untrusted comment: x\n" + Data(Array(algorithm.utf8) + (id ?? keyID) + raw).base64EncodedString() + "\n"
        if let comment {
            let global = try key.signature(for: raw + Array(comment.utf8))
            text += "trusted comment: \(comment)\n" + Data(global).base64EncodedString() + "\n"
        }
        return text
    }

    func outcome(_ text: String, keys: [TrustedKey]? = nil) throws -> SignatureOutcome {
        let trusted = try keys ?? [TrustedKey.parse(publicKeyFile, file: "k.pub")]
        return ManifestSignaturePolicy.required.decide(manifest: message, signature: ("m.minisig", Array(text.utf8)), keys: trusted)!
    }

    @Test func goodSignaturesOfEveryKind() throws {
        let trusted = try TrustedKey.parse(publicKeyFile, file: "k.pub")
        #expect(trusted.idText == "0807060504030201")
        guard case .verified(let prehashed) = try outcome(signature()) else { Issue.record("ED"); return }
        #expect(prehashed.trustedComment == "nightly" && prehashed.keyID == "0807060504030201")
        guard case .verified = try outcome(signature(algorithm: "Ed")) else { Issue.record("Ed"); return }
        guard case .verified(let signify) = try outcome(signature(algorithm: "Ed", comment: nil)) else { Issue.record("signify"); return }
        #expect(signify.trustedComment == nil)
        // CRLF line ends, as a file copied through Windows has them.
        guard case .verified = try outcome(signature().replacingOccurrences(of: "\n", with: "\r\n")) else { Issue.record("CRLF"); return }
        // minisign -P's bare base64 key.
        let bare = try TrustedKey.parse(Array(String(decoding: publicKeyFile, as: UTF8.self).split(separator: "\n")[1].utf8), file: "bare")
        #expect(bare == TrustedKey(keyID: keyID, publicKey: trusted.publicKey, source: "bare"))
    }

    @Test func forgeriesAndDamageAreInvalid() throws {
        let cases: [(String, String)] = [
            (try signature(over: message + [0x20]), "does not match the manifest"),
            (try signature(id: [9, 9, 9, 9, 9, 9, 9, 9]), "which is not a trusted key"),
            (try signature().replacingOccurrences(of: "trusted comment: nightly", with: "trusted comment: nightlY"), "trusted comment"),
            (try signature(algorithm: "ED", comment: nil), "truncated"),
            (try signature(algorithm: "Xy"), "unknown signature algorithm \"Xy\""),
            ("untrusted comment: x\n!!!!\n", "base64 of 74 bytes"),
            ("untrusted comment: x\n", "base64 of 74 bytes"),
            ("", "not a minisign or signify signature"),
            ("trusted comment: x\nAAAA\n", "not a minisign or signify signature"),
            (try signature().replacingOccurrences(of: "\ntrusted comment:", with: "\ntrusted  comment:"), "expected \"trusted comment"),
        ]
        for (text, words) in cases {
            guard case .invalid(let reason) = try outcome(text) else {
                Issue.record("accepted: \(text)")
                continue
            }
            #expect(reason.contains(words), "\(reason)")
        }
        // A key with the signature's id but other bytes: the id chooses, the signature decides.
        let impostor = TrustedKey(keyID: keyID, publicKey: Array(Curve25519.Signing.PrivateKey().publicKey.rawRepresentation), source: "i.pub")
        guard case .invalid(let reason) = try outcome(signature(), keys: [impostor]) else { Issue.record("impostor"); return }
        #expect(reason.contains("does not match"))
    }

    @Test func policies() throws {
        let keys = [try TrustedKey.parse(publicKeyFile, file: "k.pub")]
        #expect(ManifestSignaturePolicy.off.decide(manifest: message, signature: ("s", []), keys: keys) == nil)
        #expect(ManifestSignaturePolicy.ifPresent.decide(manifest: message, signature: nil, keys: keys) == nil)
        guard case .invalid(let unsigned)? = ManifestSignaturePolicy.required.decide(manifest: message, signature: nil, keys: keys) else {
            Issue.record("required without a signature")
            return
        }
        #expect(unsigned.contains("not signed"))
        guard case .invalid(let noKeys)? = ManifestSignaturePolicy.ifPresent.decide(manifest: message, signature: ("s", Array(try signature().utf8)), keys: []) else {
            Issue.record("no keys")
            return
        }
        #expect(noKeys.contains("no trusted key"))
    }

    @Test(arguments: [
        ("", "no public key"),
        ("untrusted comment: only\n", "no public key"),
        ("untrusted comment: x\nRWQ=\n", "base64 of 42 bytes"),
        ("untrusted comment: x\n" + Data(Array("Xx".utf8) + [UInt8](repeating: 1, count: 40)).base64EncodedString() + "\n", "starting with \"Ed\""),
    ])
    func badKeyFiles(text: String, words: String) {
        let error = #expect(throws: SignatureError.self) { try TrustedKey.parse(Array(text.utf8), file: "k.pub") }
        #expect(error?.message.contains(words) == true, "\(String(describing: error))")
    }

    @Test func base64() {
        #expect(Base64.decode("TWFu") == Array("Man".utf8))
        #expect(Base64.decode("TWE=") == Array("Ma".utf8))
        #expect(Base64.decode("TQ==") == Array("M".utf8))
        for bad in ["", "TWF", "TW=u", "T===", "TWF\u{0}", "TWFu\n", "TW-u"] {
            #expect(Base64.decode(bad) == nil, "\(bad)")
        }
    }
}
