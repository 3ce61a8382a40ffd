namespace Portcullis.Tests.Infrastructure;

/// <summary>Finds the repository root and the read-only shared folder beside it.</summary>
public static class SharedData
{
    public static string RepositoryRoot { get; } = FindRoot();

    public static string Path(string relative) =>
        System.IO.Path.GetFullPath(System.IO.Path.Combine(RepositoryRoot, "..", "shared", relative));

    private static string FindRoot()
    {
        string? directory = AppContext.BaseDirectory;
        while (directory is not null && !File.Exists(System.IO.Path.Combine(directory, "Portcullis.sln")))
        {
            directory = System.IO.Path.GetDirectoryName(directory);
        }

        return directory ?? throw new InvalidOperationException("Portcullis.sln not found above the test binaries.");
    }
}
