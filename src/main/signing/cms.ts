/**
 * Checks a detached CMS SignedData (RFC 5652) against the content it signs. node-forge parses
 * the DER but does not verify signatures, so this walks the structure itself:
 *
 *   ContentInfo { signedData, [0] SignedData { version, digestAlgorithms,
 *     encapContentInfo (no eContent: detached), [0] certificates, [1] crls, signerInfos } }
 *   SignerInfo { version, sid, digestAlgorithm, [0] signedAttrs, signatureAlgorithm, signature }
 *
 * With signed attributes (RFC 5652 §5.4) the messageDigest attribute must equal the content's
 * digest and the signature covers the DER of the attributes re-tagged as a SET; without them
 * the signature covers the content itself. Certificates are read by Node's X509Certificate.
 */
import { createHash, verify as verifySignature, X509Certificate } from 'node:crypto';
import forge from 'node-forge';

type Asn1 = forge.asn1.Asn1;

const OID = {
  signedData: '1.2.840.113549.1.7.2',
  data: '1.2.840.113549.1.7.1',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
};

/** Digest algorithm OIDs (RFC 5754) and their Node names. */
const DIGESTS: Record<string, string> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

/** Signature algorithms whose verification is PKCS#1 v1.5 or ECDSA over the digest name. */
const SIGNATURE_ALGORITHMS = new Set([
  '1.2.840.113549.1.1.1', // rsaEncryption (the digest comes from digestAlgorithm)
  '1.2.840.113549.1.1.5',
  '1.2.840.113549.1.1.11',
  '1.2.840.113549.1.1.12',
  '1.2.840.113549.1.1.13',
  '1.2.840.10045.4.3.2',
  '1.2.840.10045.4.3.3',
  '1.2.840.10045.4.3.4',
]);

export interface CmsCheck {
  readonly valid: boolean;
  readonly reason?: string;
  readonly signer?: X509Certificate;
  readonly certificates: readonly X509Certificate[];
  readonly signingTime?: Date;
}

/** Parses `der` (exactly one DER value) and checks it signs `content`. */
export function checkDetachedCms(der: Buffer, content: readonly Buffer[]): CmsCheck {
  let root: Asn1;
  try {
    root = forge.asn1.fromDer(forge.util.createBuffer(der.toString('binary')), true);
  } catch (error) {
    return fail(`the signature is not valid DER (${(error as Error).message})`);
  }
  const [contentType, wrapped] = children(root);
  if (oid(contentType) !== OID.signedData) return fail('the signature is not a CMS SignedData');
  const signedData = children(wrapped)[0];
  const parts = children(signedData);
  const encap = parts[2];
  if (children(encap).length > 1) return fail('the signature embeds its content: not detached');
  // Fields the signature does not cover are still pinned, so any changed byte of the CMS fails:
  // versions (RFC 5652 §5.1, §5.3), the content type, the digest algorithm list.
  if (integer(parts[0]) !== 1 || oid(children(encap)[0]) !== OID.data) {
    return fail('the CMS structure was altered (version or content type)');
  }
  const certNode = parts.find(
    (p) => p.tagClass === forge.asn1.Class.CONTEXT_SPECIFIC && p.type === 0,
  );
  let certificates: X509Certificate[];
  try {
    certificates = children(certNode).map((c) => new X509Certificate(toDer(c)));
  } catch (error) {
    return fail(`a certificate in the signature is unreadable (${(error as Error).message})`);
  }
  const signerInfos = children(parts[parts.length - 1]);
  if (signerInfos.length !== 1) return fail(`expected one signer, found ${signerInfos.length}`);
  const signerInfo = signerInfos[0]!;
  const listed = children(parts[1]).map((a) => toDer(a).toString('hex'));
  const used = children(signerInfo)[2];
  if (
    integer(children(signerInfo)[0]) !== 1 ||
    !used ||
    !listed.includes(toDer(used).toString('hex'))
  ) {
    return fail(
      'the CMS structure was altered (signer version or digest algorithms)',
      certificates,
    );
  }
  return checkSignerInfo(signerInfo, content, certificates);
}

function checkSignerInfo(
  info: Asn1,
  content: readonly Buffer[],
  certs: X509Certificate[],
): CmsCheck {
  const fields = children(info);
  const sid = fields[1]!;
  const digestName = DIGESTS[oid(children(fields[2])[0]) ?? ''];
  if (!digestName) return fail('the signature uses an unsupported digest algorithm', certs);
  const attrsNode =
    fields[3]?.tagClass === forge.asn1.Class.CONTEXT_SPECIFIC ? fields[3] : undefined;
  const rest = fields.slice(attrsNode ? 4 : 3);
  const sigAlgorithm = oid(children(rest[0])[0]);
  const sigParams = children(rest[0])[1];
  if (sigParams && !(sigParams.type === forge.asn1.Type.NULL && sigParams.value === '')) {
    return fail('the CMS structure was altered (signature algorithm parameters)', certs);
  }
  const signature = Buffer.from(String(rest[1]?.value ?? ''), 'binary');
  if (!sigAlgorithm || !SIGNATURE_ALGORITHMS.has(sigAlgorithm)) {
    return fail(`unsupported signature algorithm ${sigAlgorithm ?? '(none)'}`, certs);
  }
  const signer = findSigner(sid, certs);
  if (!signer) return fail('the signer certificate is not in the signature', certs);

  const hash = createHash(digestName);
  for (const part of content) hash.update(part);
  const contentDigest = hash.digest();
  let signedBytes: Buffer;
  let signingTime: Date | undefined;
  if (attrsNode) {
    const attrs = new Map<string, Asn1>();
    for (const attr of children(attrsNode)) {
      const [type, values] = children(attr);
      const first = children(values)[0];
      if (type && first) attrs.set(oid(type) ?? '', first);
    }
    if (oid(attrs.get(OID.contentType)) !== OID.data) {
      return fail('the signed content type is not data', certs, signer);
    }
    const digest = Buffer.from(String(attrs.get(OID.messageDigest)?.value ?? ''), 'binary');
    if (!digest.equals(contentDigest)) {
      return fail(
        'the document bytes do not match the signed digest: the file was changed after signing',
        certs,
        signer,
      );
    }
    signingTime = asnTime(attrs.get(OID.signingTime));
    // §5.4: the signature is over the DER of the attributes as a SET OF, not the [0] tag.
    signedBytes = toDer(
      forge.asn1.create(
        forge.asn1.Class.UNIVERSAL,
        forge.asn1.Type.SET,
        true,
        attrsNode.value as Asn1[],
      ),
    );
  } else {
    signedBytes = Buffer.concat(content);
  }
  const ok = verifySignature(
    digestName,
    signedBytes,
    { key: signer.publicKey, dsaEncoding: 'der' },
    signature,
  );
  if (!ok)
    return fail("the signature does not verify with the signer certificate's key", certs, signer);
  return { valid: true, signer, certificates: certs, signingTime };
}

/** The certificate named by a SignerIdentifier: IssuerAndSerialNumber, else the only one. */
function findSigner(sid: Asn1, certs: X509Certificate[]): X509Certificate | undefined {
  if (sid.tagClass === forge.asn1.Class.UNIVERSAL && sid.type === forge.asn1.Type.SEQUENCE) {
    const serialBytes = String(children(sid)[1]?.value ?? '');
    const serial = Buffer.from(serialBytes, 'binary').toString('hex').replace(/^0+/, '');
    return certs.find((c) => c.serialNumber.toLowerCase().replace(/^0+/, '') === serial);
  }
  return certs.length === 1 ? certs[0] : undefined;
}

function integer(node: Asn1 | undefined): number | undefined {
  if (!node || node.type !== forge.asn1.Type.INTEGER || typeof node.value !== 'string') {
    return undefined;
  }
  return forge.asn1.derToInteger(node.value);
}

function asnTime(node: Asn1 | undefined): Date | undefined {
  if (!node || typeof node.value !== 'string') return undefined;
  if (node.type === forge.asn1.Type.UTCTIME) return forge.asn1.utcTimeToDate(node.value);
  if (node.type === forge.asn1.Type.GENERALIZEDTIME)
    return forge.asn1.generalizedTimeToDate(node.value);
  return undefined;
}

function children(node: Asn1 | undefined): Asn1[] {
  return node && Array.isArray(node.value) ? (node.value as Asn1[]) : [];
}

function oid(node: Asn1 | undefined): string | undefined {
  if (!node || node.type !== forge.asn1.Type.OID || typeof node.value !== 'string')
    return undefined;
  return forge.asn1.derToOid(node.value);
}

function toDer(node: Asn1): Buffer {
  return Buffer.from(forge.asn1.toDer(node).getBytes(), 'binary');
}

function fail(
  reason: string,
  certificates: X509Certificate[] = [],
  signer?: X509Certificate,
): CmsCheck {
  return { valid: false, reason, certificates, signer };
}
