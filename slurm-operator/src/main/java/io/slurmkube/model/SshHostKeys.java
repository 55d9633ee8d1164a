package io.slurmkube.model;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.EdECPrivateKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * SSH host keys of a cluster's login pods, made with the JDK's generators and written in
 * OpenSSH's own formats (the unencrypted "openssh-key-v1" private key and the one-line public
 * key), so that the operator image needs no ssh-keygen. Files are named as sshd expects them in
 * /etc/ssh: {@code ssh_host_<type>_key} and {@code ssh_host_<type>_key.pub}.
 */
public final class SshHostKeys {
  public static final String ED25519 = "ssh_host_ed25519_key";
  public static final String ECDSA = "ssh_host_ecdsa_key";
  public static final String RSA = "ssh_host_rsa_key";

  private SshHostKeys() {}

  /** Every host key file, private and public, by file name. */
  public static Map<String, byte[]> generate(SecureRandom random, String comment) {
    try {
      var files = new LinkedHashMap<String, byte[]>();
      put(files, ED25519, ed25519(random, comment));
      put(files, ECDSA, ecdsa(random, comment));
      put(files, RSA, rsa(random, comment));
      return files;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK cannot generate SSH host keys: " + e.getMessage(), e);
    }
  }

  private static void put(Map<String, byte[]> files, String name, String[] privateAndPublic) {
    files.put(name, privateAndPublic[0].getBytes(StandardCharsets.US_ASCII));
    files.put(name + ".pub", privateAndPublic[1].getBytes(StandardCharsets.US_ASCII));
  }

  static String[] ed25519(SecureRandom random, String comment) throws GeneralSecurityException {
    var generator = KeyPairGenerator.getInstance("Ed25519");
    generator.initialize(255, random);
    KeyPair pair = generator.generateKeyPair();
    byte[] encoded = pair.getPublic().getEncoded(); // X.509: the raw 32-byte key comes last
    byte[] pub = Arrays.copyOfRange(encoded, encoded.length - 32, encoded.length);
    byte[] seed = ((EdECPrivateKey) pair.getPrivate()).getBytes().orElseThrow();
    String type = "ssh-ed25519";
    byte[] blob = new Wire().string(type).string(pub).bytes();
    // OpenSSH keeps the seed followed by the public key as the 64-byte "private key".
    byte[] secret = new Wire().string(type).string(pub).string(concat(seed, pub)).bytes();
    return keyFiles(type, blob, secret, comment, random);
  }

  static String[] ecdsa(SecureRandom random, String comment) throws GeneralSecurityException {
    var generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"), random);
    KeyPair pair = generator.generateKeyPair();
    var w = ((ECPublicKey) pair.getPublic()).getW();
    byte[] point = concat(new byte[] {4}, concat(fixed(w.getAffineX(), 32), fixed(w.getAffineY(), 32)));
    String type = "ecdsa-sha2-nistp256";
    byte[] blob = new Wire().string(type).string("nistp256").string(point).bytes();
    byte[] secret = new Wire().string(type).string("nistp256").string(point)
        .mpint(((ECPrivateKey) pair.getPrivate()).getS()).bytes();
    return keyFiles(type, blob, secret, comment, random);
  }

  static String[] rsa(SecureRandom random, String comment) throws GeneralSecurityException {
    var generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(3072, random);
    KeyPair pair = generator.generateKeyPair();
    var pub = (RSAPublicKey) pair.getPublic();
    var key = (RSAPrivateCrtKey) pair.getPrivate();
    String type = "ssh-rsa";
    byte[] blob = new Wire().string(type).mpint(pub.getPublicExponent()).mpint(pub.getModulus()).bytes();
    // OpenSSH's iqmp is q^-1 mod p, which is what the JDK calls the CRT coefficient.
    byte[] secret = new Wire().string(type).mpint(key.getModulus()).mpint(key.getPublicExponent())
        .mpint(key.getPrivateExponent()).mpint(key.getCrtCoefficient()).mpint(key.getPrimeP()).mpint(key.getPrimeQ())
        .bytes();
    return keyFiles(type, blob, secret, comment, random);
  }

  /** PROTOCOL.key: magic, no cipher, one public key, then the private section padded to 8 bytes. */
  private static String[] keyFiles(String type, byte[] blob, byte[] secret, String comment, SecureRandom random) {
    int check = random.nextInt();
    var section = new Wire().uint32(check).uint32(check).raw(secret).string(comment);
    for (int pad = 1; section.size() % 8 != 0; pad++) {
      section.raw(new byte[] {(byte) pad});
    }
    byte[] file = new Wire().raw("openssh-key-v1\0".getBytes(StandardCharsets.US_ASCII))
        .string("none").string("none").string(new byte[0]).uint32(1).string(blob).string(section.bytes()).bytes();
    String body = Base64.getMimeEncoder(70, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(file);
    String privateKey = "-----BEGIN OPENSSH PRIVATE KEY-----\n" + body + "\n-----END OPENSSH PRIVATE KEY-----\n";
    String publicKey = type + " " + Base64.getEncoder().encodeToString(blob) + " " + comment + "\n";
    return new String[] {privateKey, publicKey};
  }

  private static byte[] fixed(BigInteger value, int length) {
    byte[] raw = value.toByteArray();
    byte[] out = new byte[length];
    int copy = Math.min(raw.length, length);
    System.arraycopy(raw, raw.length - copy, out, length - copy, copy);
    return out;
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  /** SSH wire encoding (RFC 4251): uint32, length-prefixed strings, mpints. */
  private static final class Wire {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    Wire uint32(int value) {
      out.write(value >>> 24);
      out.write(value >>> 16);
      out.write(value >>> 8);
      out.write(value);
      return this;
    }

    Wire raw(byte[] bytes) {
      out.writeBytes(bytes);
      return this;
    }

    Wire string(byte[] bytes) {
      return uint32(bytes.length).raw(bytes);
    }

    Wire string(String text) {
      return string(text.getBytes(StandardCharsets.US_ASCII));
    }

    /** Two's complement, big-endian, minimal: BigInteger.toByteArray is exactly that (0 is empty). */
    Wire mpint(BigInteger value) {
      return string(value.signum() == 0 ? new byte[0] : value.toByteArray());
    }

    int size() {
      return out.size();
    }

    byte[] bytes() {
      return out.toByteArray();
    }
  }
}
