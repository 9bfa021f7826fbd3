using System.CommandLine;
using ServerlessMed.Cli.Commands;

var root = new RootCommand("smed: ServerlessMed, de-identification, embeddings and synthetic images for DICOM on Azure storage")
{
    DemoCommand.Create(),
    DumpCommand.Create(),
    ConvertCommand.Create(),
    DeidCommand.Create(),
    StorageCommands.Upload(),
    StorageCommands.Run(),
    StorageCommands.Status(),
};
return await root.Parse(args).InvokeAsync();
