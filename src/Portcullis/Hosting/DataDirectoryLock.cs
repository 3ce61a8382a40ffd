namespace Portcullis.Hosting;

/// <summary>
/// One process owns a data directory: budgets live in that process's memory and are written through to its database,
/// so a second process on the same directory would count against stale state and overwrite the first one's writes.
/// The owner holds <c>portcullis.lock</c> open exclusively (an advisory lock on Unix) until it stops.
/// </summary>
internal sealed class DataDirectoryLock : IDisposable
{
    private readonly FileStream _file;

    private DataDirectoryLock(FileStream file) => _file = file;

    public static DataDirectoryLock Acquire(string dataDirectory)
    {
        string path = Path.Combine(dataDirectory, "portcullis.lock");
        try
        {
            return new DataDirectoryLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
        }
        catch (IOException)
        {
            throw new GatewayConfigurationException(
            [
                $"Another Portcullis process is using the data directory {Path.GetFullPath(dataDirectory)}. Each gateway " +
                "needs its own data directory; stop the other process first.",
            ]);
        }
    }

    public void Dispose() => _file.Dispose();
}
