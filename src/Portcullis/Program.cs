using Portcullis.Cli;

return await PortcullisCli.RunAsync(args);
