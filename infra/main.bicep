// ServerlessMed: one tenant's environment. This first version deploys the tenant's storage account with the
// containers and queues of the design (docs: ../shared/design/ARCHITECTURE.md). The full environment (Event Grid,
// Service Bus, Key Vault, Functions, GPU worker on Container Apps, monitoring, identities) is tracked in the
// infrastructure issue and grows from here.
targetScope = 'resourceGroup'

@description('Short tenant prefix (letters and digits) used to derive resource names.')
@minLength(3)
@maxLength(11)
param tenantPrefix string

@description('Azure region of every resource.')
param location string = resourceGroup().location

@description('Days after which raw uploads are deleted by lifecycle management.')
@minValue(1)
param uploadRetentionDays int = 7

@description('Tags applied to every resource.')
param tags object = {}

var storageName = toLower('${tenantPrefix}${uniqueString(resourceGroup().id, tenantPrefix)}')
var containers = ['uploads', 'deid', 'embeddings', 'audit', 'quarantine', 'generated', 'models']
var queues = ['ingest', 'ingest-poison', 'generation', 'generation-poison']

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: take(storageName, 24)
  location: location
  tags: tags
  sku: { name: 'Standard_ZRS' }
  kind: 'StorageV2'
  properties: {
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    supportsHttpsTrafficOnly: true
    minimumTlsVersion: 'TLS1_2'
    defaultToOAuthAuthentication: true
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
  properties: {
    isVersioningEnabled: true
    deleteRetentionPolicy: { enabled: true, days: 7 }
    containerDeleteRetentionPolicy: { enabled: true, days: 7 }
  }
}

resource blobContainers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = [for name in containers: {
  parent: blobService
  name: name
  properties: { publicAccess: 'None' }
}]

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource storageQueues 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = [for name in queues: {
  parent: queueService
  name: name
}]

resource lifecycle 'Microsoft.Storage/storageAccounts/managementPolicies@2023-05-01' = {
  parent: storage
  name: 'default'
  properties: {
    policy: {
      rules: [
        {
          name: 'delete-raw-uploads'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: { blobTypes: ['blockBlob'], prefixMatch: ['uploads/'] }
            actions: { baseBlob: { delete: { daysAfterModificationGreaterThan: uploadRetentionDays } } }
          }
        }
      ]
    }
  }
}

output storageAccountName string = storage.name
