namespace ServerlessMed.Deid;

/// <summary>The options of PS3.15 Table E.1-1, in the order of its columns. Names are the JSON policy's names.</summary>
public enum DeidOption
{
    RetainSafePrivate,
    RetainUIDs,
    RetainDeviceIdentity,
    RetainInstitutionIdentity,
    RetainPatientCharacteristics,
    RetainLongitudinalFullDates,
    RetainLongitudinalModifiedDates,
    CleanDescriptors,
    CleanStructuredContent,
    CleanGraphics,
}

/// <summary>CID 7050 codes (De-identification Method) for the profile and each option.</summary>
public static class DeidMethodCodes
{
    public const string BasicProfile = "113100";

    public static (string Code, string Meaning) For(DeidOption option) => option switch
    {
        DeidOption.CleanGraphics => ("113103", "Clean Graphics Option"),
        DeidOption.CleanStructuredContent => ("113104", "Clean Structured Content Option"),
        DeidOption.CleanDescriptors => ("113105", "Clean Descriptors Option"),
        DeidOption.RetainLongitudinalFullDates => ("113106", "Retain Longitudinal Temporal Information Full Dates Option"),
        DeidOption.RetainLongitudinalModifiedDates => ("113107", "Retain Longitudinal Temporal Information Modified Dates Option"),
        DeidOption.RetainPatientCharacteristics => ("113108", "Retain Patient Characteristics Option"),
        DeidOption.RetainDeviceIdentity => ("113109", "Retain Device Identity Option"),
        DeidOption.RetainUIDs => ("113110", "Retain UIDs Option"),
        DeidOption.RetainSafePrivate => ("113111", "Retain Safe Private Option"),
        DeidOption.RetainInstitutionIdentity => ("113112", "Retain Institution Identity Option"),
        _ => throw new ArgumentOutOfRangeException(nameof(option)),
    };
}
