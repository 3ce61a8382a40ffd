using System.Reflection;

namespace Portcullis.Bench;

/// <summary>Where the gateway and the mock were built, recorded in this assembly by its project file.</summary>
internal sealed record BuildArtifacts(string Configuration, string PortcullisDll, string MockUpstreamDll)
{
    public static BuildArtifacts FromThisAssembly()
    {
        Dictionary<string, string?> metadata = typeof(BuildArtifacts).Assembly
            .GetCustomAttributes<AssemblyMetadataAttribute>()
            .ToDictionary(a => a.Key, a => a.Value, StringComparer.Ordinal);
        var artifacts = new BuildArtifacts(
            metadata.GetValueOrDefault("BuildConfiguration") ?? "unknown",
            metadata.GetValueOrDefault("PortcullisDll") ?? "",
            metadata.GetValueOrDefault("MockUpstreamDll") ?? "");

        foreach (string dll in (string[])[artifacts.PortcullisDll, artifacts.MockUpstreamDll])
        {
            if (!File.Exists(dll))
            {
                throw new BenchSetupException(
                    $"'{dll}' is not built. Run 'dotnet run -c Release --project bench/Portcullis.Bench' (it builds "
                    + "the gateway and the mock too), or 'dotnet build -c Release' first.");
            }
        }

        return artifacts;
    }

    /// <summary>The <c>dotnet</c> host that runs this process, so the children run on the same runtime.</summary>
    public static string DotnetHost()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath && File.Exists(hostPath))
        {
            return hostPath;
        }

        // The runtime lives in <root>/shared/Microsoft.NETCore.App/<version>/; the host is <root>/dotnet.
        string runtimeDirectory = Path.GetDirectoryName(typeof(object).Assembly.Location) ?? "";
        string candidate = Path.GetFullPath(Path.Combine(runtimeDirectory, "..", "..", "..",
            OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet"));
        return File.Exists(candidate) ? candidate : "dotnet";
    }
}
