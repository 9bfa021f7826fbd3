using System.Globalization;
using ServerlessMed.Deid.BurnedIn;
using ServerlessMed.Dicom;
using ServerlessMed.Dicom.IO;

namespace ServerlessMed.Deid;

/// <summary>Applies the PS3.15 Annex E Basic Profile with the policy's options to a DICOM file, recursively in
/// every sequence item. Large values (pixel data) are not loaded: the output keeps referring to the source.
/// Thread-safe and stateless: one instance serves a whole process.</summary>
public sealed class Deidentifier
{
    private readonly DeidPolicy _policy;
    private readonly KeyedMapper _mapper;
    private readonly IReadOnlySet<DeidOption> _options;
    private readonly DeidOption[] _orderedOptions; // sorted once: the audit and the method attributes list them per instance
    private readonly string[] _optionNames;
    private readonly HashSet<uint> _keep;
    private readonly HashSet<uint> _remove;
    private readonly ConfidentialityProfile _profile = ConfidentialityProfile.Standard;
    private readonly BurnedInTextMasker _burnedIn;

    public Deidentifier(TenantKey key, DeidPolicy policy)
    {
        _policy = policy;
        _mapper = new KeyedMapper(key, policy);
        _options = policy.OptionSet;
        _orderedOptions = [.. _options.Order()];
        _optionNames = [.. _orderedOptions.Select(o => o.ToString())];
        _keep = [.. policy.Keep.Select(t => DicomTag.Parse(t).Value)];
        _remove = [.. policy.Remove.Select(t => DicomTag.Parse(t).Value)];
        _burnedIn = new BurnedInTextMasker(policy.BurnedIn);
    }

    public KeyedMapper Mapper => _mapper;

    public DeidResult Deidentify(DicomFile input)
    {
        var src = input.Dataset;
        foreach (var required in new[] { DicomTag.SOPInstanceUID, DicomTag.StudyInstanceUID, DicomTag.SeriesInstanceUID })
        {
            if (src.GetSingleValueOrDefault(required, string.Empty).Length == 0)
            {
                throw new DeidRejectedException("missing-uid", $"the instance has no {required.DictionaryEntry.Keyword} {required}, so it cannot be placed in a de-identified study");
            }
        }

        var patientId = src.GetSingleValueOrDefault(DicomTag.PatientID, string.Empty);
        var issuer = src.GetSingleValueOrDefault(DicomTag.IssuerOfPatientID, string.Empty);
        var ctx = new Context(
            Pseudonym: _mapper.PatientPseudonym(issuer, patientId),
            DateOffsetDays: _mapper.DateOffsetDays(issuer, patientId),
            Scrubber: TextScrubber.FromDataset(src),
            Counts: new Dictionary<string, int>(StringComparer.Ordinal));

        var output = new DicomDataset();
        Process(src, output, ctx);
        AddDeidentificationAttributes(output);

        var file = new DicomFile(output, input.TransferSyntax.IsEncapsulated || input.TransferSyntax.IsNative ? input.TransferSyntax : DicomTransferSyntax.ExplicitVRLittleEndian);
        if (file.TransferSyntax == DicomTransferSyntax.ImplicitVRLittleEndian || file.TransferSyntax.IsBigEndian)
        {
            // Explicit VR keeps the VRs of what we wrote; big endian is retired.
            file.TransferSyntax = DicomTransferSyntax.ExplicitVRLittleEndian;
        }

        var burnedIn = _burnedIn.Apply(input, file);
        var audit = new DeidAuditRecord
        {
            SopInstanceUid = output.GetString(DicomTag.SOPInstanceUID),
            StudyInstanceUid = output.GetString(DicomTag.StudyInstanceUID),
            SeriesInstanceUid = output.GetString(DicomTag.SeriesInstanceUID),
            SopClassUid = output.GetSingleValueOrDefault(DicomTag.SOPClassUID, string.Empty),
            Modality = output.GetSingleValueOrDefault(DicomTag.Modality, string.Empty),
            Profile = "PS3.15 E.1 Basic Application Level Confidentiality Profile",
            Options = _optionNames,
            Actions = ctx.Counts,
            PatientPseudonym = ctx.Pseudonym,
            DatesShifted = _options.Contains(DeidOption.RetainLongitudinalModifiedDates),
            ProcessedAt = DateTimeOffset.UtcNow,
            Tool = $"ServerlessMed {DicomUID.ImplementationVersionName}",
            BurnedIn = burnedIn,
        };
        return new DeidResult(file, audit);
    }

    private sealed record Context(string Pseudonym, int DateOffsetDays, TextScrubber Scrubber, Dictionary<string, int> Counts)
    {
        public void Count(string action) => Counts[action] = Counts.GetValueOrDefault(action) + 1;
    }

    private void Process(DicomDataset src, DicomDataset dst, Context ctx)
    {
        var safeCreators = SafeCreatorBlocks(src);
        foreach (var item in src)
        {
            var tag = item.Tag;
            if (tag.IsGroupLength || tag.Group == 0x0002)
            {
                continue;
            }

            string action;
            if (_remove.Contains(tag.Value))
            {
                action = "X";
            }
            else if (_keep.Contains(tag.Value))
            {
                action = "K";
            }
            else if (tag.IsPrivate)
            {
                action = IsSafePrivate(tag, safeCreators) ? "K" : "X";
            }
            else if (tag == DicomTag.PatientName || tag == DicomTag.PatientID)
            {
                action = "P";
            }
            else if (IsOverlayGroup(tag) && !_options.Contains(DeidOption.CleanGraphics))
            {
                // Overlay Data (60xx,3000) is removed; the rest of its group would then describe an overlay that
                // is not there (an invalid Overlay Plane module), so the whole group goes.
                action = "X";
            }
            else
            {
                var row = _profile.Find(tag);
                action = row is null
                    ? (tag.DictionaryEntry.IsKnown ? "K" : "X") // not in the table: standard attributes stay, unknown public ones go
                    : Resolve(row.ActionFor(_orderedOptions), item is DicomSequence, tag);
            }

            ctx.Count(action);
            Apply(action, item, dst, ctx);
        }
    }

    /// <summary>Compound actions choose what keeps the output valid without IOD type tables: a dummy where one may be
    /// required, zero length where the attribute may be empty, U for UID sequences.</summary>
    private static string Resolve(string action, bool isSequence, DicomTag tag) => action switch
    {
        // An empty sequence is valid only where the sequence is Type 2; elsewhere (Type 3) it must be absent.
        "X/Z" when isSequence => Type2Sequences.Contains(tag.Value) ? "Z" : "X",
        "X/Z" => "Z",
        "X/D" or "Z/D" or "X/Z/D" => "D",
        "X/Z/U*" => "U",
        _ => action,
    };

    /// <summary>X/Z sequences that common IODs define as Type 2 (they must be present, possibly empty).</summary>
    private static readonly HashSet<uint> Type2Sequences = [DicomTag.AcquisitionContextSequence.Value];

    private static bool IsOverlayGroup(DicomTag tag) => tag.Group is >= 0x6000 and <= 0x601E && (tag.Group & 1) == 0;

    private void Apply(string action, DicomItem item, DicomDataset dst, Context ctx)
    {
        var tag = item.Tag;
        switch (action)
        {
            case "X":
                return;
            case "Z":
                dst.AddOrUpdate(item is DicomSequence ? new DicomSequence(tag) : new DicomElement(tag, item.ValueRepresentation == DicomVR.UN ? tag.DictionaryEntry.DefaultVR : item.ValueRepresentation, DicomBuffer.Empty));
                return;
            case "P":
                dst.AddOrUpdate(tag, tag == DicomTag.PatientName ? DicomVR.PN : DicomVR.LO, ctx.Pseudonym);
                return;
        }

        if (item is DicomSequence sq)
        {
            // K, C, D, U on a sequence: keep its structure, de-identify inside every item.
            var copy = new DicomSequence(tag);
            foreach (var child in sq.Items)
            {
                var childOut = new DicomDataset();
                Process(child, childOut, ctx);
                copy.Items.Add(childOut);
            }

            dst.AddOrUpdate(copy);
            return;
        }

        if (item is not DicomElement e)
        {
            dst.AddOrUpdate(item.Clone());
            return;
        }

        var vr = e.ValueRepresentation == DicomVR.UN && !tag.IsPrivate ? tag.DictionaryEntry.DefaultVR : e.ValueRepresentation;
        switch (action)
        {
            case "K":
                // A kept private UID (Retain Safe Private) is still a UID of this patient's data: map it like the others.
                dst.AddOrUpdate(tag.IsPrivate && e.ValueRepresentation == DicomVR.UI && !_options.Contains(DeidOption.RetainUIDs) ? MapUids(e, vr) : e);
                return;
            case "U":
                dst.AddOrUpdate(MapUids(e, vr));
                return;
            case "D":
                dst.AddOrUpdate(vr == DicomVR.UI ? MapUids(e, vr) : Dummy(tag, vr, e.Length));
                return;
            case "C":
                dst.AddOrUpdate(Clean(e, vr, dst, ctx));
                return;
            default:
                throw new InvalidOperationException($"unknown profile action '{action}' for {tag}");
        }
    }

    private DicomElement MapUids(DicomElement e, DicomVR vr)
    {
        if (vr != DicomVR.UI || e.Length == 0)
        {
            return vr == DicomVR.UI ? e : Dummy(e.Tag, vr, e.Length);
        }

        var values = DicomValueCodec.DecodeStrings(e.Buffer.GetMemory().Span, DicomVR.UI, DicomEncoding.Default);
        var mapped = values.Select(_mapper.MapUid).ToArray();
        return new DicomElement(e.Tag, DicomVR.UI, DicomBuffer.FromBytes(DicomValueCodec.EncodeStrings(mapped, DicomVR.UI, DicomEncoding.Default)));
    }

    private static DicomElement Dummy(DicomTag tag, DicomVR vr, long originalLength)
    {
        string? text = vr.Code switch
        {
            "AE" => "ANONYMOUS",
            "AS" => "000D",
            "CS" => "ANONYMIZED",
            "DA" => "19000101",
            "DT" => "19000101000000",
            "TM" => "000000",
            "DS" or "IS" => "0",
            "LO" or "LT" or "ST" or "UT" or "UC" or "PN" => "ANONYMIZED",
            "SH" => "ANON",
            "UR" => "http://anonymized",
            _ => null,
        };
        if (text is not null)
        {
            return new DicomElement(tag, vr, DicomBuffer.FromBytes(System.Text.Encoding.ASCII.GetBytes(text)));
        }

        // Binary: zeros, one value's worth (or the original length for OB/OW data).
        var length = vr.MaxLength > 0 ? vr.UnitSize : Math.Min(originalLength, 1024);
        return new DicomElement(tag, vr, DicomBuffer.FromBytes(new byte[Math.Max(length + (length & 1), 2)]));
    }

    private DicomElement Clean(DicomElement e, DicomVR vr, DicomDataset dst, Context ctx)
    {
        if (vr == DicomVR.DA || vr == DicomVR.DT)
        {
            if (_options.Contains(DeidOption.RetainLongitudinalFullDates))
            {
                return e;
            }

            return ShiftDates(e, vr, ctx.DateOffsetDays);
        }

        if (vr == DicomVR.TM)
        {
            return e; // whole-day shifts keep times
        }

        if (vr == DicomVR.UI)
        {
            return MapUids(e, vr);
        }

        if (!vr.IsString)
        {
            return e;
        }

        var text = DicomValueCodec.DecodeText(e.Buffer.GetMemory().Span, vr, vr.IsTextLike ? dst.Encoding : DicomEncoding.Default);
        var cleaned = ctx.Scrubber.Clean(text);
        if (cleaned is null)
        {
            // Could not be cleaned safely: remove the content (zero length keeps the attribute present).
            return new DicomElement(e.Tag, vr, DicomBuffer.Empty);
        }

        return new DicomElement(e.Tag, vr, DicomBuffer.FromBytes(DicomValueCodec.EncodeStrings([cleaned], vr.IsMultiValuedString ? DicomVR.LT : vr, vr.IsTextLike ? dst.Encoding : DicomEncoding.Default)));
    }

    private static DicomElement ShiftDates(DicomElement e, DicomVR vr, int days)
    {
        var values = DicomValueCodec.DecodeStrings(e.Buffer.GetMemory().Span, vr, DicomEncoding.Default);
        var shifted = values.Select(v =>
        {
            if (v.Length < 8 || !DateTime.TryParseExact(v[..8], "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d))
            {
                return string.Empty;
            }

            return d.AddDays(days).ToString("yyyyMMdd", CultureInfo.InvariantCulture) + v[8..];
        }).ToArray();
        return new DicomElement(e.Tag, vr, DicomBuffer.FromBytes(DicomValueCodec.EncodeStrings(shifted, vr, DicomEncoding.Default)));
    }

    private Dictionary<ushort, HashSet<byte>> SafeCreatorBlocks(DicomDataset ds)
    {
        var blocks = new Dictionary<ushort, HashSet<byte>>();
        if (!_options.Contains(DeidOption.RetainSafePrivate) || _policy.SafePrivate.Count == 0)
        {
            return blocks;
        }

        foreach (var item in ds)
        {
            if (item.Tag.IsPrivateCreator && item is DicomElement)
            {
                var creator = ds.GetSingleValueOrDefault(item.Tag, string.Empty).Trim();
                if (_policy.SafePrivate.Any(s => s.Creator == creator))
                {
                    if (!blocks.TryGetValue(item.Tag.Group, out var set))
                    {
                        blocks[item.Tag.Group] = set = [];
                    }

                    set.Add((byte)item.Tag.Element);
                }
            }
        }

        return blocks;
    }

    private bool IsSafePrivate(DicomTag tag, Dictionary<ushort, HashSet<byte>> safeBlocks)
    {
        if (!safeBlocks.TryGetValue(tag.Group, out var blocks))
        {
            return false;
        }

        if (tag.IsPrivateCreator)
        {
            return blocks.Contains((byte)tag.Element);
        }

        var block = (byte)(tag.Element >> 8);
        var low = (byte)tag.Element;
        return blocks.Contains(block) && _policy.SafePrivate.Any(s => ParseElement(s.Element) == low);
    }

    private static int ParseElement(string s) =>
        int.Parse(s.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? s[2..] : s, NumberStyles.HexNumber, CultureInfo.InvariantCulture) & 0xFF;

    private void AddDeidentificationAttributes(DicomDataset ds)
    {
        ds.AddOrUpdate(DicomTag.PatientIdentityRemoved, DicomVR.CS, "YES");
        var method = "ServerlessMed PS3.15 Basic Profile" + (_options.Count > 0 ? " + " + string.Join(", ", _optionNames) : string.Empty);
        ds.AddOrUpdate(DicomTag.DeidentificationMethod, DicomVR.LO, method.Length > 64 ? method[..64] : method);
        var codes = new DicomSequence(DicomTag.DeidentificationMethodCodeSequence);
        codes.Items.Add(Code(DeidMethodCodes.BasicProfile, "Basic Application Confidentiality Profile"));
        foreach (var o in _orderedOptions)
        {
            var (code, meaning) = DeidMethodCodes.For(o);
            codes.Items.Add(Code(code, meaning));
        }

        ds.AddOrUpdate(codes);
        var temporal = _options.Contains(DeidOption.RetainLongitudinalFullDates) ? "UNMODIFIED"
            : _options.Contains(DeidOption.RetainLongitudinalModifiedDates) ? "MODIFIED" : "REMOVED";
        ds.AddOrUpdate(DicomTag.LongitudinalTemporalInformationModified, DicomVR.CS, temporal);
    }

    internal static DicomDataset Code(string value, string meaning)
    {
        var item = new DicomDataset();
        item.AddOrUpdate(DicomTag.CodeValue, DicomVR.SH, value);
        item.AddOrUpdate(DicomTag.CodingSchemeDesignator, DicomVR.SH, "DCM");
        item.AddOrUpdate(DicomTag.CodeMeaning, DicomVR.LO, meaning);
        return item;
    }
}

/// <summary>The de-identified file and what was done to it.</summary>
public sealed record DeidResult(DicomFile File, DeidAuditRecord Audit);

/// <summary>The instance must not be de-identified under this policy (it goes to quarantine). Code and message carry no PHI.</summary>
public sealed class DeidRejectedException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
}
