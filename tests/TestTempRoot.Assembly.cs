// Linked into every test project by tests/Directory.Build.props: one temporary folder per test process.
[assembly: Xunit.AssemblyFixture(typeof(ServerlessMed.Testing.TestTempRoot))]
