using System.CommandLine;
using ServerlessMed.Cli.Commands;

var root = new RootCommand("smed: ServerlessMed, de-identification, embeddings and synthetic images for DICOM on Azure storage")
{
    DemoCommand.Create(),
    DumpCommand.Create(),
    ConvertCommand.Create(),
    DeidCommand.Create(),
    GenerateCommand.Create(),
    PixelCommands.Pixels(),
    PixelCommands.Preview(),
    EmbedCommand.Create(),
    StorageCommands.Upload(),
    StorageCommands.Run(),
    StorageCommands.Status(),
    SearchCommands.Index(),
    SearchCommands.Search(),
    ExportCommand.Create(),
};
try
{
    // Our handler below reports configuration errors in one line; anything else is a bug and keeps its stack trace.
    return await root.Parse(args).InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (Exception e) when (e is ServerlessMed.Deid.DeidPolicyException or InvalidDataException or FileNotFoundException or DirectoryNotFoundException
    or ServerlessMed.Azurite.AzuriteException or Azure.RequestFailedException or HttpRequestException)
{
    // Configuration and environment problems (policy, key, models, storage): one line, exit 2, no stack trace.
    Console.Error.WriteLine($"smed: {e.Message.Split('\n')[0]}");
    return 2;
}
catch (Microsoft.Extensions.Options.OptionsValidationException e)
{
    // Host settings (smed run reads the same ones as the Azure hosts): one line per wrong or missing setting.
    foreach (var failure in e.Failures)
    {
        Console.Error.WriteLine($"smed: {failure}");
    }

    return 2;
}
