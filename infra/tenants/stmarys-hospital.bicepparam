// A small hospital: de-identification and embeddings only, no GPU generation.
using '../main.bicep'

param tenantPrefix = 'stmarys'
param enableGeneration = false
param functionsPackageUrl = 'https://smedreleases.blob.core.windows.net/releases/serverlessmed-functions-0.1.0.zip'
param uploadRetentionDays = 3
param quarantineRetentionDays = 30
param tags = {
  owner: 'imaging-it'
  environment: 'production'
}
