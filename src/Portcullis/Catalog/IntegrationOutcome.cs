using Portcullis.Storage;

namespace Portcullis.Catalog;

/// <summary>
/// An integration as a change left it, with the default providers the same change created (stored in the same
/// transaction), so the caller can audit them and name them in its answer.
/// </summary>
internal sealed record IntegrationOutcome(IntegrationRecord Integration, IReadOnlyList<VirtualKeyRecord> DefaultProviders);
