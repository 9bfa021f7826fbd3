using System.CommandLine;
using ServerlessMed.Cli.Commands;

var root = new RootCommand("smed: ServerlessMed, de-identification, embeddings and synthetic images for DICOM on Azure storage");
root.Subcommands.Add(DumpCommand.Create());
root.Subcommands.Add(ConvertCommand.Create());
return await root.Parse(args).InvokeAsync();
