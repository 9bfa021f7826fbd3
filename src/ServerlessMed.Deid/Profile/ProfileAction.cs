namespace ServerlessMed.Deid;

/// <summary>An action code of PS3.15 Table E.1-1, read once from the generated table (confidentiality-profile.tsv),
/// plus our pseudonym action. Compound codes (X/Z, X/Z/D, ...) are members of their own: <see cref="Deidentifier"/>
/// resolves them per attribute (a dummy where one may be required, zero length where the attribute may be empty).</summary>
public enum ProfileAction : byte
{
    /// <summary>An option's cell that says nothing: the Basic Profile's action applies.</summary>
    None,

    /// <summary>X: remove.</summary>
    Remove,

    /// <summary>Z: replace with a zero-length value (or a dummy of its VR where a value is required).</summary>
    ZeroLength,

    /// <summary>D: replace with a dummy value of its VR.</summary>
    Dummy,

    /// <summary>K: keep (sequences: keep the structure, apply the profile inside).</summary>
    Keep,

    /// <summary>C: clean (replace identifying values by values of similar meaning).</summary>
    Clean,

    /// <summary>U: replace UIDs by keyed, consistent ones.</summary>
    MapUid,

    /// <summary>P (not in the table): Patient's Name and ID become the keyed pseudonym.</summary>
    Pseudonym,

    /// <summary>X/Z.</summary>
    RemoveOrZeroLength,

    /// <summary>X/D.</summary>
    RemoveOrDummy,

    /// <summary>Z/D.</summary>
    ZeroLengthOrDummy,

    /// <summary>X/Z/D.</summary>
    RemoveZeroLengthOrDummy,

    /// <summary>X/Z/U*: UIDs in sequences are mapped.</summary>
    RemoveZeroLengthOrMapUid,
}

/// <summary>The table's spellings of <see cref="ProfileAction"/>: read from the generated table, written to audit
/// records (<see cref="DeidAuditRecord.Actions"/> counts by code).</summary>
public static class ProfileActionCodes
{
    private static readonly string[] Codes = [string.Empty, "X", "Z", "D", "K", "C", "U", "P", "X/Z", "X/D", "Z/D", "X/Z/D", "X/Z/U*"];
    private static readonly byte[][] Ascii = [.. Codes.Select(System.Text.Encoding.ASCII.GetBytes)];

    public static string Code(this ProfileAction action) => Codes[(int)action];

    /// <exception cref="InvalidDataException">A code the table does not define.</exception>
    public static ProfileAction Parse(ReadOnlySpan<byte> code)
    {
        for (var i = 0; i < Codes.Length; i++)
        {
            if (code.SequenceEqual(Ascii[i]))
            {
                return (ProfileAction)i;
            }
        }

        throw new InvalidDataException($"the embedded PS3.15 profile table has an unknown action '{System.Text.Encoding.ASCII.GetString(code)}'");
    }
}
