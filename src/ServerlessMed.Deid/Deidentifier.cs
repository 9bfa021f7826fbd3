using System.Globalization;
using System.Runtime.InteropServices;
using ServerlessMed.Deid.BurnedIn;
using ServerlessMed.Deid.Iod;
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

    private readonly TenantKey _key;

    public Deidentifier(TenantKey key, DeidPolicy policy)
    {
        _key = key;
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

    /// <summary>Keyed fingerprints of the original instance's identifying values (see <see cref="IdentifierFingerprints"/>),
    /// stored beside its audit record so the export's leak gate can recognise them later without keeping them.</summary>
    public IReadOnlyList<string> Fingerprints(DicomFile original) => IdentifierFingerprints.Of(original.Dataset, _key);

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
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var ctx = new Context(
            Pseudonym: _mapper.PatientPseudonym(issuer, patientId),
            DateOffsetDays: _mapper.DateOffsetDays(issuer, patientId),
            Scrubber: TextScrubber.FromDataset(src, _options.Contains(DeidOption.RetainUIDs) ? null : _mapper.MapUid),
            Counts: counts,
            Iod: new IodConformance(IodTable.Standard.Find(src.GetSingleValueOrDefault(DicomTag.SOPClassUID, string.Empty)), _mapper.MapUid, a => counts[a] = counts.GetValueOrDefault(a) + 1));

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
            Profile = "PS3.15 E.1 Basic Application Level Confidentiality Profile" + (_policy.Mode == DeidMode.AllowList ? ", allow-list mode" : string.Empty),
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

    private sealed record Context(string Pseudonym, int DateOffsetDays, TextScrubber Scrubber, Dictionary<string, int> Counts, IodConformance Iod)
    {
        public void Count(ProfileAction action) => CollectionsMarshal.GetValueRefOrAddDefault(Counts, action.Code(), out _)++;
    }

    /// <summary>De-identifies <paramref name="src"/> (the instance, or an item of the sequence <paramref name="parent"/>)
    /// into <paramref name="dst"/>, then restores what the IOD requires there.</summary>
    private void Process(DicomDataset src, DicomDataset dst, Context ctx, uint parent = 0, bool cleaning = false)
    {
        var safeCreators = SafeCreatorBlocks(src);
        var allKept = true;
        foreach (var item in src)
        {
            var tag = item.Tag;
            if (tag.IsGroupLength || tag.Group == 0x0002)
            {
                continue;
            }

            ProfileAction action;
            if (item is DicomElement { IsUndecodable: true })
            {
                // Encoded as UN and not readable with its dictionary VR (the reader decodes every UN value it can):
                // opaque bytes are never copied, whatever the profile or the policy's keep list says.
                action = ProfileAction.Remove;
            }
            else if (_remove.Contains(tag.Value))
            {
                action = ProfileAction.Remove;
            }
            else if (_keep.Contains(tag.Value))
            {
                action = ProfileAction.Keep;
            }
            else if (tag.IsPrivate)
            {
                action = IsSafePrivate(tag, safeCreators) ? ProfileAction.Keep : ProfileAction.Remove;
            }
            else if (tag == DicomTag.PatientName || tag == DicomTag.PatientID)
            {
                action = ProfileAction.Pseudonym;
            }
            else if (IsOverlayGroup(tag) && !_options.Contains(DeidOption.CleanGraphics))
            {
                // Overlay Data (60xx,3000) is removed; the rest of its group would then describe an overlay that
                // is not there (an invalid Overlay Plane module), so the whole group goes.
                action = ProfileAction.Remove;
            }
            else
            {
                var row = _profile.Find(tag);
                action = row is null
                    ? UnlistedAttributes.Action(tag, DummyValues.VRFor(tag, item), _policy.Mode, cleaning, _options.Contains(DeidOption.CleanDescriptors), IodTable.Standard.Defines(parent, tag.Value))
                    : Resolve(row.ActionFor(_orderedOptions), item is DicomSequence);
            }

            ctx.Count(action);
            allKept &= action == ProfileAction.Keep;
            Apply(action, item, src, dst, ctx, cleaning);
        }

        if (!allKept)
        {
            // A dataset whose every attribute was kept lost nothing the IOD requires (most items of large sequences).
            ctx.Iod.Restore(src, dst, parent);
        }
    }

    /// <summary>Compound actions: a dummy where one may be required, zero length where the attribute may be empty, U
    /// for UID sequences. A sequence is removed rather than emptied: the IOD pass puts an empty one back where the
    /// instance's IOD makes it Type 2 (an empty Type 3 sequence is invalid).</summary>
    private static ProfileAction Resolve(ProfileAction action, bool isSequence) => action switch
    {
        ProfileAction.RemoveOrZeroLength => isSequence ? ProfileAction.Remove : ProfileAction.ZeroLength,
        ProfileAction.RemoveOrDummy or ProfileAction.ZeroLengthOrDummy or ProfileAction.RemoveZeroLengthOrDummy => ProfileAction.Dummy,
        ProfileAction.RemoveZeroLengthOrMapUid => ProfileAction.MapUid,
        _ => action,
    };

    /// <summary>Sequences whose D keeps their tree and replaces the values in it: an SR document's content is its
    /// structure (Type 1 relationships, value types, concept names), and the profile applies inside it (names and
    /// dates replaced, UIDs mapped, free text removed).</summary>
    private static bool IsContentTree(DicomTag tag) => tag == DicomTag.ContentSequence;

    private static bool IsOverlayGroup(DicomTag tag) => tag.Group is >= 0x6000 and <= 0x601E && (tag.Group & 1) == 0;

    private void Apply(ProfileAction action, DicomItem item, DicomDataset src, DicomDataset dst, Context ctx, bool cleaning)
    {
        var tag = item.Tag;
        switch (action)
        {
            case ProfileAction.Remove:
                return;
            case ProfileAction.ZeroLength:
                dst.AddOrUpdate(DummyValues.Empty(tag, item is DicomSequence ? DicomVR.SQ : DummyValues.VRFor(tag, item)));
                return;
            case ProfileAction.Pseudonym:
                dst.AddOrUpdate(tag, tag == DicomTag.PatientName ? DicomVR.PN : DicomVR.LO, ctx.Pseudonym);
                return;
        }

        if (item is DicomSequence sq)
        {
            if (action == ProfileAction.Dummy && !IsContentTree(tag))
            {
                // D replaces the content: nothing of it is copied; the IOD pass writes an item of dummy values where the
                // instance's IOD requires the sequence, and leaves it out where it does not.
                return;
            }

            // K, C, U (and D on a content tree): keep the structure, apply the profile inside every item; inside a
            // sequence the profile cleans (C under a Clean option), free text is cleaned rather than removed.
            var copy = new DicomSequence(tag);
            foreach (var child in sq.Items)
            {
                var childOut = new DicomDataset();
                Process(child, childOut, ctx, tag.Value, cleaning || action == ProfileAction.Clean);
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
            case ProfileAction.Keep:
                // A kept private UID (Retain Safe Private) is still a UID of this patient's data: map it like the others.
                dst.AddOrUpdate(tag.IsPrivate && e.ValueRepresentation == DicomVR.UI && !_options.Contains(DeidOption.RetainUIDs) ? MapUids(e, vr) : e);
                return;
            case ProfileAction.MapUid:
                dst.AddOrUpdate(MapUids(e, vr));
                return;
            case ProfileAction.Dummy:
                dst.AddOrUpdate(vr == DicomVR.UI ? MapUids(e, vr) : DummyValues.Element(tag, vr, e.Length));
                return;
            case ProfileAction.Clean:
                dst.AddOrUpdate(Clean(e, vr, src, ctx));
                return;
            default:
                throw new InvalidOperationException($"unknown profile action {action} for {tag}");
        }
    }

    private DicomElement MapUids(DicomElement e, DicomVR vr)
    {
        if (vr != DicomVR.UI || e.Length == 0)
        {
            return vr == DicomVR.UI ? e : DummyValues.Element(e.Tag, vr, e.Length);
        }

        var values = DicomValueCodec.DecodeStrings(e.Buffer.GetMemory().Span, DicomVR.UI, DicomEncoding.Default);
        var mapped = values.Select(_mapper.MapUid).ToArray();
        return new DicomElement(e.Tag, DicomVR.UI, DicomBuffer.FromBytes(DicomValueCodec.EncodeStrings(mapped, DicomVR.UI, DicomEncoding.Default)));
    }

    private DicomElement Clean(DicomElement e, DicomVR vr, DicomDataset src, Context ctx)
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

        // Decoded and written back in the source's character set (an item's own, else the enclosing dataset's).
        var charset = vr.IsTextLike ? src.Encoding : DicomEncoding.Default;
        var cleaned = ctx.Scrubber.Clean(DicomValueCodec.DecodeText(e.Buffer.GetMemory().Span, vr, charset));
        return new DicomElement(e.Tag, vr, DicomBuffer.FromBytes(DicomValueCodec.EncodeStrings([cleaned], vr.IsMultiValuedString ? DicomVR.LT : vr, charset)));
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
        var method = "ServerlessMed PS3.15 Basic Profile" + (_policy.Mode == DeidMode.AllowList ? " allow-list" : string.Empty)
            + (_options.Count > 0 ? " + " + string.Join(", ", _optionNames) : string.Empty);

        // ASCII whatever the instance's character set: an ISO 2022 encoder may add escape bytes past LO's 64.
        var ascii = DicomValueCodec.EncodeStrings([method.Length > 64 ? method[..64] : method], DicomVR.LO, DicomEncoding.Default);
        ds.AddOrUpdate(new DicomElement(DicomTag.DeidentificationMethod, DicomVR.LO, DicomBuffer.FromBytes(ascii)));
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
