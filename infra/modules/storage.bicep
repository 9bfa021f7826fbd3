// The tenant's data account: containers and queues of the design, no shared keys, no public access, TLS 1.2,
// versioning and soft delete, lifecycle deletion of raw uploads and quarantine. Role assignments are scoped to
// the containers and queues each identity touches.
import { roles } from 'roles.bicep'

param storageName string
param location string
param tags object
param uploadRetentionDays int
param quarantineRetentionDays int
param functionsIdentityName string
@description('Empty when the tenant has no GPU worker.')
param workerIdentityName string

resource functionsIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' existing = {
  name: functionsIdentityName
}

resource workerIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' existing = if (!empty(workerIdentityName)) {
  name: workerIdentityName
}

var containers = ['uploads', 'deid', 'embeddings', 'audit', 'quarantine', 'generated', 'models', 'eventgrid-deadletter']
// ingest-poison: where the Functions host moves a message after host.json's maxDequeueCount. (The generation queue is
// Service Bus, with its own dead-letter sub-queue.)
var queues = ['ingest', 'ingest-poison']

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: storageName
  location: location
  tags: tags
  sku: { name: 'Standard_ZRS' }
  kind: 'StorageV2'
  properties: {
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    supportsHttpsTrafficOnly: true
    minimumTlsVersion: 'TLS1_2'
    defaultToOAuthAuthentication: true
    publicNetworkAccess: 'Enabled'
    encryption: {
      requireInfrastructureEncryption: true
      services: {
        blob: { enabled: true, keyType: 'Account' }
        queue: { enabled: true, keyType: 'Account' }
      }
      keySource: 'Microsoft.Storage'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
  properties: {
    isVersioningEnabled: true
    deleteRetentionPolicy: { enabled: true, days: 14 }
    containerDeleteRetentionPolicy: { enabled: true, days: 14 }
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
            actions: {
              baseBlob: { delete: { daysAfterModificationGreaterThan: uploadRetentionDays } }
              version: { delete: { daysAfterCreationGreaterThan: uploadRetentionDays } }
            }
          }
        }
        {
          name: 'delete-quarantine'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: { blobTypes: ['blockBlob'], prefixMatch: ['quarantine/'] }
            actions: {
              baseBlob: { delete: { daysAfterModificationGreaterThan: quarantineRetentionDays } }
              version: { delete: { daysAfterCreationGreaterThan: quarantineRetentionDays } }
            }
          }
        }
      ]
    }
  }
}

// Functions (ingest): read and delete uploads, write every output container, consume the ingest queue.
var functionsContainers = ['uploads', 'deid', 'embeddings', 'audit', 'quarantine']
resource functionsBlobRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (name, i) in functionsContainers: {
  name: guid(storage.id, name, functionsIdentity.id, roles.storageBlobDataContributor)
  scope: blobContainers[indexOf(containers, name)]
  properties: {
    principalId: functionsIdentity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataContributor)
  }
}]

resource functionsModelsRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, 'models', functionsIdentity.id, roles.storageBlobDataReader)
  scope: blobContainers[indexOf(containers, 'models')]
  properties: {
    principalId: functionsIdentity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataReader)
  }
}

// The status function counts generated files.
resource functionsGeneratedRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, 'generated', functionsIdentity.id, roles.storageBlobDataReader)
  scope: blobContainers[indexOf(containers, 'generated')]
  properties: {
    principalId: functionsIdentity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataReader)
  }
}

// The queue trigger peeks, receives, updates and deletes messages (Message Processor) and reads the queue's length
// for scaling (Reader), as the Functions documentation lists for an identity-based queue trigger.
resource functionsIngestQueueReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, 'ingest', functionsIdentity.id, roles.storageQueueDataReader)
  scope: storageQueues[indexOf(queues, 'ingest')]
  properties: {
    principalId: functionsIdentity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataReader)
  }
}

resource functionsIngestQueueRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, 'ingest', functionsIdentity.id, roles.storageQueueDataMessageProcessor)
  scope: storageQueues[indexOf(queues, 'ingest')]
  properties: {
    principalId: functionsIdentity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataMessageProcessor)
  }
}

resource functionsPoisonQueueRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, 'ingest-poison', functionsIdentity.id, roles.storageQueueDataMessageSender)
  scope: storageQueues[indexOf(queues, 'ingest-poison')]
  properties: {
    principalId: functionsIdentity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataMessageSender)
  }
}

// Worker (generation): read de-identified instances and models, write generated images.
resource workerDeidRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(workerIdentityName)) {
  name: guid(storage.id, 'deid', workerIdentity.id, roles.storageBlobDataReader)
  scope: blobContainers[indexOf(containers, 'deid')]
  properties: {
    principalId: workerIdentity!.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataReader)
  }
}

resource workerModelsRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(workerIdentityName)) {
  name: guid(storage.id, 'models', workerIdentity.id, roles.storageBlobDataReader)
  scope: blobContainers[indexOf(containers, 'models')]
  properties: {
    principalId: workerIdentity!.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataReader)
  }
}

resource workerGeneratedRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(workerIdentityName)) {
  name: guid(storage.id, 'generated', workerIdentity.id, roles.storageBlobDataContributor)
  scope: blobContainers[indexOf(containers, 'generated')]
  properties: {
    principalId: workerIdentity!.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataContributor)
  }
}

output storageId string = storage.id
output storageName string = storage.name
output blobEndpoint string = storage.properties.primaryEndpoints.blob
output queueEndpoint string = storage.properties.primaryEndpoints.queue
