using System.Globalization;
using System.Numerics;

namespace ServerlessMed.Deid;

/// <summary>Stateless, consistent replacements: the same input and tenant key give the same output on any
/// machine, in any order; another key gives other values. No table is kept.</summary>
public sealed class KeyedMapper(TenantKey key, DeidPolicy policy)
{
    /// <summary>"2.25." + the decimal of the first 128 bits of HMAC-SHA256(key, uid) (PS3.5 B.2 UUID-derived form).</summary>
    public string MapUid(string uid)
    {
        var trimmed = uid.Trim().TrimEnd('\0');
        if (trimmed.Length == 0 || trimmed.All(c => c is '0' or '.'))
        {
            // Empty, or a placeholder of zeros ("0", "0.0"): identifies nothing, and mapping it would turn a
            // dangling placeholder reference into one that looks real.
            return trimmed;
        }

        var mac = key.HmacRaw(trimmed);
        var value = new BigInteger(mac.AsSpan(0, 16), isUnsigned: true, isBigEndian: true);
        return "2.25." + value.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>Pseudonymous patient id from issuer + patient id, formatted by the policy (e.g. "SMED-{hash}").</summary>
    public string PatientPseudonym(string issuer, string patientId)
    {
        var mac = key.Hmac("patient", issuer + "\u001e" + patientId);
        var hash = Convert.ToHexString(mac.AsSpan(0, 8));
        return policy.PseudonymFormat.Replace("{hash}", hash, StringComparison.Ordinal);
    }

    /// <summary>Per-patient whole-day date offset in [-range, -1] ∪ [1, range] (never zero: zero would keep the dates).</summary>
    public int DateOffsetDays(string issuer, string patientId)
    {
        var mac = key.Hmac("dates", issuer + "\u001e" + patientId);
        var range = Math.Max(1, policy.DateShiftRangeDays);
        var n = (int)(BitConverter.ToUInt32(mac, 0) % (uint)(2 * range));
        return n < range ? -(n + 1) : n - range + 1;
    }
}
