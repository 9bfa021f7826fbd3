// A small hospital: de-identification and embeddings only, no GPU generation.
using '../main.bicep'

param tenantPrefix = 'stmarys'
param enableGeneration = false
param encoderModelId = 'cxr-foundation-v1'
param functionsAlwaysReady = 1
param uploadRetentionDays = 3
param quarantineRetentionDays = 30
param tags = {
  owner: 'imaging-it'
  environment: 'production'
}
