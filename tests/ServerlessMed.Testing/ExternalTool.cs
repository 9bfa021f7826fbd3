using System.Diagnostics;
using System.Text;

namespace ServerlessMed.Testing;

/// <summary>Runs an installed tool (dcmdump, dciodvfy, /usr/bin/python3) and captures its output.
/// A missing tool fails the test with the package to install: tests are never skipped for it.</summary>
public static class ExternalTool
{
    public sealed record Result(int ExitCode, string StdOut, string StdErr);

    public static Result Run(string tool, IEnumerable<string> args, string? stdin = null, int timeoutMs = 120_000, IDictionary<string, string>? env = null, string? workingDirectory = null)
    {
        var psi = new ProcessStartInfo(tool)
        {
            WorkingDirectory = workingDirectory ?? string.Empty,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        if (env is not null)
        {
            foreach (var kv in env)
            {
                psi.Environment[kv.Key] = kv.Value;
            }
        }

        Process p;
        try
        {
            p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {tool}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"'{tool}' is not installed: run scripts/test.sh (it installs dcmtk, dicom3tools, python3-pydicom, python3-onnx, python3-numpy)", e);
        }

        using (p)
        {
            if (stdin is not null)
            {
                p.StandardInput.Write(stdin);
                p.StandardInput.Close();
            }

            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(timeoutMs))
            {
                p.Kill(entireProcessTree: true);
                throw new TimeoutException($"{tool} did not finish within {timeoutMs} ms");
            }

            return new Result(p.ExitCode, stdout.Result, stderr.Result);
        }
    }

    /// <summary>Debian's python (with python3-pydicom, -onnx, -numpy), not a pyenv shim.</summary>
    public const string Python = "/usr/bin/python3";
}
