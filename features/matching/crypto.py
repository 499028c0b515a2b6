"""The cryptography of private list matching: ID numbers hashed to Curve25519, blinded, and labels sealed.

Elliptic-curve Diffie–Hellman PSI with an oblivious PRF, built from libsodium's X25519 and Ed25519 (via PyNaCl), the
standard Elligator 2 map (RFC 9380, with GMP's field arithmetic through ``gmpy2``), keyed BLAKE2b (``hashlib``) and
the ``cryptography`` package's AES-GCM:

* ``hash_to_curve``: SHA-512 of a domain-separated ID number, mapped to a point ``P`` of Curve25519 by Elligator 2
  (the map of libsodium's ``crypto_core_ed25519_from_uniform``, RFC 9380's ``curve25519`` encoding), as its
  Montgomery u-coordinate. The group element of the ID is ``H(id) = 8·P`` (``hash_to_group``, libsodium's own
  function, is that point on Edwards): every X25519 scalar is a multiple of 8, so X25519 with ``k`` gives
  ``u(k·P) = u((k/8)·H(id))`` and clears the cofactor inside the multiplication, where libsodium clears it with
  three point doublings and two more field inversions. Nobody knows the discrete log of ``H(id)``; a test compares
  every value with libsodium's map and Edwards multiplication.
* The bank's secret is a uniformly random scalar ``b`` mod the group order; blinding is X25519 with ``k ≡ ±b`` (its
  clamped form, ``x25519_scalar``: every residue but a fraction 2^-128 has one, and the bank draws again otherwise),
  which gives ``u(b·8⁻¹·H(id))``, uniform in the main subgroup; the bank removes its blind with the clamped form of
  ``b⁻¹``. X25519 values depend on the scalar modulo the group order, up to sign, only, so the multiplications
  commute.
* The province's secret ``s`` is an X25519 scalar. Its PRF value of an ID number is ``u(s·P) = u((s/8)·H(id))``:
  what it computes once per base-list household, what it multiplies the bank's blinded values by, and what the bank
  holds once its blind is removed. X25519 refuses values of small order (its output would be zero); a value off the
  curve lies on its twist, where Curve25519 was chosen to be as hard as on the curve, so multiplying it tells the
  sender nothing about ``s``.
* The PRF value never leaves the province for IDs the bank does not hold; from it keyed BLAKE2b derives a 16-byte
  lookup tag and a 32-byte AES-GCM key that seals that household's label, padded to a fixed length so ciphertexts
  of different labels cannot be told apart.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import gmpy2
import nacl.bindings as sodium
import nacl.exceptions
import nacl.utils
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from nacl._sodium import ffi, lib

from features.errors import KuozhongError

POINT_BYTES = 32
TAG_BYTES = 16
LABEL_BYTES = 192  # every label is padded to this many bytes before sealing
SEALED_BYTES = LABEL_BYTES + 16  # AES-GCM appends a 16-byte authentication tag
_DOMAIN = b"kuozhong/psi/v1/id-number|"
_KDF_PERSON = b"kuozhong/psi/v2"  # BLAKE2b personalisation (at most 16 bytes) of the tag-and-key derivation
_NONCE = bytes(12)  # each derived key seals exactly one label once, so a fixed nonce never repeats under a key
_P = 2**255 - 19  # the field of Curve25519 and edwards25519
_L = 2**252 + 27742317777372353535851937790883648493  # the order of the main subgroup
_Y_MASK = (1 << 255) - 1  # an Edwards point's encoding is y with the sign of x in the top bit
_A = 486662  # Curve25519: v² = u³ + A·u² + u
_P_MPZ, _A_MPZ = gmpy2.mpz(_P), gmpy2.mpz(_A)


class MatchingCryptoError(KuozhongError):
    """A value received from the other party that is not a valid group element or ciphertext."""


def new_scalar() -> bytes:
    """A fresh secret scalar, uniform modulo the group order (reduced from 64 random bytes)."""
    return bytes(sodium.crypto_core_ed25519_scalar_reduce(nacl.utils.random(64)))


def new_prf_key() -> bytes:
    """The province's fresh secret: 32 random bytes clamped as X25519 clamps them (a multiple of 8, bit 254 set).

    Clamped once here, X25519 leaves it unchanged, so both of the province's multiplications use one secret.
    """
    raw = bytearray(nacl.utils.random(32))
    raw[0] &= 248
    raw[31] = (raw[31] & 127) | 64
    return bytes(raw)


def inverse(scalar: bytes) -> bytes:
    """The scalar's inverse modulo the group order (to remove one's own blind)."""
    return bytes(sodium.crypto_core_ed25519_scalar_invert(scalar))


def x25519_scalar(scalar: bytes) -> bytes:
    """The clamped X25519 scalar ``k ≡ ±scalar`` (mod the group order): X25519 with ``k`` gives ``u(scalar·P)``.

    X25519 clamps its scalar (a multiple of 8, bit 254 set, below 2^255) and leaves a clamped one unchanged; on a
    point ``P`` of the main subgroup it computes ``u(k·P)``, and ``u(-Q) = u(Q)``. Raises MatchingCryptoError for
    the residues (a fraction 2^-128) with no clamped form of either sign.
    """
    x = int.from_bytes(scalar, "little") % _L
    for residue in (x, (_L - x) % _L):
        for multiple in range(8):  # residue + 8·L would pass 2^255
            k = residue + multiple * _L
            if 2**254 <= k < 2**255 and k % 8 == 0:
                return k.to_bytes(32, "little")
    raise MatchingCryptoError("scalar has no clamped X25519 form")


def new_blind() -> bytes:
    """The bank's fresh blinding scalar, uniform mod the group order.

    Drawn again in the rare case that it or its inverse has no clamped X25519 form (probability about 2^-127).
    """
    while True:
        scalar = new_scalar()
        try:
            x25519_scalar(scalar)
            x25519_scalar(inverse(scalar))
        except (MatchingCryptoError, nacl.exceptions.RuntimeError):  # or no inverse: the zero scalar
            continue
        return scalar


def hash_to_group(id_number: str, session: bytes) -> bytes:
    """The group element ``H(id)`` of one ID number in one session, on Edwards (libsodium's map and cofactor clearing).

    The reference ``hash_to_curve`` is compared with; the parties themselves multiply ``hash_to_curve``'s values.
    """
    return bytes(sodium.crypto_core_ed25519_from_uniform(_digest(_DOMAIN + session + b"|", id_number)))


def _digest(prefix: bytes, id_number: str) -> bytes:
    """The 32 bytes of SHA-512 both maps take (the top bit is the sign of x for libsodium, dropped by the map)."""
    return hashlib.sha512(prefix + id_number.encode("ascii")).digest()[:32]


def hash_to_curve(id_numbers: Iterable[str], session: bytes) -> list[bytes]:
    """The u-coordinates of the Elligator 2 points ``P`` of ID numbers in one session, with ``8·P = H(id)``.

    libsodium's map (``ge25519_elligator2``, non-square ``Z = 2``): for the field element ``r`` of the digest's low 255
    bits, ``u₁ = -A / (1 + 2r²)``; ``u = u₁`` when ``u₁³ + A·u₁² + u₁`` is a square (Jacobi symbol not -1), else
    ``u = -A - u₁``. The divisions of a whole call share one inversion (Montgomery's trick); one Jacobi symbol per
    ID, GMP's.
    """
    prefix = _DOMAIN + session + b"|"
    p, a, jacobi, from_bytes = _P_MPZ, _A_MPZ, gmpy2.jacobi, gmpy2.mpz.from_bytes
    denominators, prefixes, running = [], [], gmpy2.mpz(1)
    for id_number in id_numbers:
        r = from_bytes(_digest(prefix, id_number), "little") & _Y_MASK
        denominator = (2 * r * r + 1) % p
        denominators.append(denominator)
        prefixes.append(running)
        running = running * denominator % p
    if not running:  # a denominator of zero: probability 2^-253 for a hashed ID
        raise MatchingCryptoError("a hashed ID number has no Elligator 2 image")
    inverse_all = gmpy2.invert(running, p)
    out = [b""] * len(denominators)
    for i in range(len(denominators) - 1, -1, -1):
        u = -a * inverse_all * prefixes[i] % p
        inverse_all = inverse_all * denominators[i] % p
        if jacobi(u * (u * (u + a) + 1) % p, p) < 0:
            u = (-u - a) % p
        out[i] = u.to_bytes(POINT_BYTES, "little")
    return out


def blind(scalar: bytes, point: bytes) -> bytes:
    """``scalar · point`` on Edwards (the reference ``multiply`` is compared with); refuses non-group elements.

    libsodium's ``crypto_scalarmult_ed25519_noclamp`` itself checks its input (canonical encoding, on the curve, not
    of small order, in the main subgroup) and fails otherwise, so every value from the other party is checked
    exactly once, by the multiplication that uses it (a test feeds it a point off the main subgroup).
    """
    if len(point) != POINT_BYTES:
        raise MatchingCryptoError(f"received value is {len(point)} bytes; a group element is {POINT_BYTES}")
    try:
        return bytes(sodium.crypto_scalarmult_ed25519_noclamp(scalar, point))
    except nacl.exceptions.RuntimeError as err:
        raise MatchingCryptoError("received value is not a valid group element") from err


def multiply(scalar: bytes, u: bytes) -> bytes:
    """X25519: ``u(k·Q)`` for the u-coordinate ``u`` of a point ``Q`` and an X25519 scalar ``k`` (see ``x25519_many``)."""
    return x25519_many(scalar, [u])[0]


def x25519_many(scalar: bytes, us: Iterable[bytes]) -> list[bytes]:
    """X25519 (libsodium's) of one scalar with many u-coordinates, through one preallocated output buffer.

    Refuses a value of the wrong length, and one of small order (libsodium fails when the result is zero).
    """
    out = ffi.new("unsigned char[]", POINT_BYTES)
    result, view, scalarmult = [], ffi.buffer(out), lib.crypto_scalarmult
    if len(scalar) != POINT_BYTES:
        raise MatchingCryptoError(f"scalar is {len(scalar)} bytes; an X25519 scalar is {POINT_BYTES}")
    for u in us:
        if len(u) != POINT_BYTES:
            raise MatchingCryptoError(f"received value is {len(u)} bytes; a group element is {POINT_BYTES}")
        if scalarmult(out, scalar, u) != 0:
            raise MatchingCryptoError("received value is of small order, not a valid group element")
        result.append(view[:])
    return result


def prf_value(point: bytes) -> bytes:
    """The u-coordinate of an Edwards point of the main subgroup (libsodium's checked conversion)."""
    if len(point) != POINT_BYTES or not sodium.crypto_core_ed25519_is_valid_point(point):
        raise MatchingCryptoError("received value is not a valid group element")
    return bytes(sodium.crypto_sign_ed25519_pk_to_curve25519(point))


def prf_values(key: bytes, id_numbers: list[str], session: bytes) -> list[bytes]:
    """The province's PRF values of many ID numbers: X25519 of ``key`` with each ``hash_to_curve`` value."""
    return x25519_many(key, hash_to_curve(id_numbers, session))


def _derive(prf_value: bytes, session: bytes) -> tuple[bytes, bytes]:
    """(lookup tag, sealing key): BLAKE2b keyed with the PRF value over the session id, personalised for this use.

    libsodium's own key derivation (``crypto_kdf``) is this construction: the secret as BLAKE2b's key, the context
    as its personalisation.
    """
    okm = hashlib.blake2b(session, digest_size=TAG_BYTES + 32, key=prf_value, person=_KDF_PERSON).digest()
    return okm[:TAG_BYTES], okm[TAG_BYTES:]


def seal_label(prf_value: bytes, session: bytes, label: bytes) -> tuple[bytes, bytes]:
    """(lookup tag, sealed label) for one household, from the province's PRF value of its ID number."""
    if len(label) > LABEL_BYTES - 1:
        raise ValueError(f"label is {len(label)} bytes; at most {LABEL_BYTES - 1} fit the fixed sealed size")
    tag, key = _derive(prf_value, session)
    padded = label + b"\x80" + bytes(LABEL_BYTES - len(label) - 1)
    return tag, AESGCM(key).encrypt(_NONCE, padded, tag)


def lookup_tag(prf_value: bytes, session: bytes) -> bytes:
    """The tag under which the province filed the label of this PRF value."""
    return _derive(prf_value, session)[0]


def open_label(prf_value: bytes, session: bytes, sealed: bytes) -> bytes:
    """The label sealed under this PRF value; raises MatchingCryptoError when it does not open."""
    tag, key = _derive(prf_value, session)
    try:
        padded = AESGCM(key).decrypt(_NONCE, sealed, tag)
    except Exception as err:  # InvalidTag: the ciphertext was not sealed under this ID's key
        raise MatchingCryptoError("sealed label does not open under this ID's key") from err
    return padded[: padded.rindex(b"\x80")]
