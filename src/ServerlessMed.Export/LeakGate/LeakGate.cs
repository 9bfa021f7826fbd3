using ServerlessMed.Deid;
using ServerlessMed.Export.Dataset;
using ServerlessMed.Export.Parquet;

namespace ServerlessMed.Export.LeakGate;

/// <summary>A text column that holds an identifying value of a source instance: how many of its values do, and the
/// de-identified SOP Instance UID of the first row that does (never the value).</summary>
public sealed record LeakFinding(string Column, int Values, string FirstSopUid);

/// <summary>The export's last check before it writes: every string of every text column, in every row, against the
/// keyed fingerprints of the identifying values of all the source instances the rows were made from (recorded at
/// ingest, see <see cref="IdentifierFingerprints"/>). A column with any match is withheld from the files.</summary>
public static class LeakGate
{
    public static IReadOnlyList<LeakFinding> Scan(IReadOnlyList<ExportRow> rows, IEnumerable<ExportColumn> columns, IdentifierFingerprints fingerprints)
    {
        var findings = new List<LeakFinding>();
        foreach (var column in columns.Where(c => c.IsText))
        {
            var count = 0;
            string? first = null;
            foreach (var row in rows)
            {
                foreach (var text in column.Texts(row))
                {
                    if (fingerprints.Matches(text))
                    {
                        count++;
                        first ??= row.SopUid;
                    }
                }
            }

            if (count > 0)
            {
                findings.Add(new LeakFinding(column.Name, count, first!));
            }
        }

        return findings;
    }
}
