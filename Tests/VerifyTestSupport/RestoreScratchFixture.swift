import Foundation

/// Archives that test a restore's scratch folder.
public enum RestoreScratchFixture {
    /// A pax tar (Python's tarfile) holding `depth` nested folders of 201-byte names (25 make
    /// 5,000 bytes, beyond PATH_MAX), a file at the bottom, and a read-only folder half way;
    /// and its sha256sum manifest.
    public static func deepArchive(_ temp: TemporaryDirectory, depth: Int = 25) throws -> (archive: String, manifest: String, path: String) {
        let script = """
            import hashlib, io, sys, tarfile
            depth = int(sys.argv[3])
            parts = ['d%d' % (i % 10) + 'x' * 199 for i in range(depth)]
            data = b'at the bottom\\n'
            with tarfile.open(sys.argv[1], 'w', format=tarfile.PAX_FORMAT) as t:
                path = ''
                for i, part in enumerate(parts):
                    path = part if not path else path + '/' + part
                    info = tarfile.TarInfo(path); info.type = tarfile.DIRTYPE
                    info.mode = 0o555 if i == depth // 2 else 0o755
                    t.addfile(info)
                info = tarfile.TarInfo(path + '/bottom.txt'); info.size = len(data); info.mode = 0o444
                t.addfile(info, io.BytesIO(data))
            with open(sys.argv[2], 'w') as m:
                m.write(hashlib.sha256(data).hexdigest() + '  ' + path + '/bottom.txt\\n')
            print(path + '/bottom.txt')
            """
        let archive = temp.file("deep.tar"), manifest = temp.file("deep.sha256")
        let result = try Tool.must(["python3", "-c", script, archive, manifest, String(depth)])
        return (archive, manifest, result.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
