// The ingest Functions app: .NET 10 on the isolated worker (functions/), on the Flex Consumption plan.
//
// Hosting: Flex Consumption (FC1). Elastic Premium was chosen only because the app was a custom handler; as an
// isolated-worker app it runs where Microsoft puts new Functions features: Flex Consumption runs dotnet-isolated 10.0
// on Linux, scales to zero between batches (a hospital uploads in bursts) and out per function with target-based
// queue scaling, integrates with a VNet, and keeps instances warm on request (alwaysReady) for tenants who want no
// cold start for the first upload of the day. The code is deployed as a zip into a container of the host storage
// account with the app's identity (scripts/deploy.sh), so no setting or share needs a key.
import { roles } from 'roles.bicep'

param namePrefix string
param hostStorageName string
param location string
param tags object
param identityName string
param dataBlobEndpoint string
param dataQueueEndpoint string
param serviceBusHost string
param vaultUri string
param insightsConnectionString string
@description('The image encoder: a model folder of the tenant\'s models container.')
param encoderModelId string
param maximumInstances int
@description('Always-ready instances of the ingest function (0: none).')
param alwaysReady int
@description('The Azure AI Search endpoint when the tenant has one (empty: the embedded index in the tenant storage).')
param searchEndpoint string

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' existing = {
  name: identityName
}

// The Functions host's own storage (leases, scale state, the deployment package): separate from the tenant's data
// and also key-less.
resource hostStorage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: hostStorageName
  location: location
  tags: tags
  sku: { name: 'Standard_LRS' }
  kind: 'StorageV2'
  properties: {
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    supportsHttpsTrafficOnly: true
    minimumTlsVersion: 'TLS1_2'
    defaultToOAuthAuthentication: true
  }
}

resource hostBlobs 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: hostStorage
  name: 'default'
}

var deploymentContainerName = 'app-package'
resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: hostBlobs
  name: deploymentContainerName
  properties: { publicAccess: 'None' }
}

var hostRoles = [roles.storageBlobDataOwner, roles.storageQueueDataContributor, roles.storageTableDataContributor]
resource hostStorageRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for role in hostRoles: {
  name: guid(hostStorage.id, identity.id, role)
  scope: hostStorage
  properties: {
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role)
  }
}]

resource plan 'Microsoft.Web/serverfarms@2023-12-01' = {
  name: '${namePrefix}-functions-plan'
  location: location
  tags: tags
  kind: 'functionapp'
  sku: { name: 'FC1', tier: 'FlexConsumption' }
  properties: {
    reserved: true
  }
}

// Every setting below is read by the app (ServerlessMed.Pipeline/Hosting/Settings.cs) or by the Functions host;
// tests/ServerlessMed.Infra.Tests checks both directions by name.
resource site 'Microsoft.Web/sites@2023-12-01' = {
  name: '${namePrefix}-functions'
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identity.id}': {} }
  }
  dependsOn: [hostStorageRoles]
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identity.id
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${hostStorage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: { type: 'UserAssignedIdentity', userAssignedIdentityResourceId: identity.id }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstances
        instanceMemoryMB: 2048
        alwaysReady: alwaysReady > 0 ? [{ name: 'function:ingest', instanceCount: alwaysReady }] : []
      }
      runtime: { name: 'dotnet-isolated', version: '10.0' }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
      appSettings: [
        // The host's own storage, identity-based.
        { name: 'AzureWebJobsStorage__accountName', value: hostStorage.name }
        { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' }
        { name: 'AzureWebJobsStorage__clientId', value: identity.properties.clientId }
        // The tenant's data: the queue trigger's connection ("TenantStorage") and the app's own clients.
        { name: 'TenantStorage__blobServiceUri', value: dataBlobEndpoint }
        { name: 'TenantStorage__queueServiceUri', value: dataQueueEndpoint }
        { name: 'TenantStorage__credential', value: 'managedidentity' }
        { name: 'TenantStorage__clientId', value: identity.properties.clientId }
        // Generation requests.
        { name: 'ServiceBus__fullyQualifiedNamespace', value: serviceBusHost }
        { name: 'ServiceBus__queueName', value: 'generation' }
        { name: 'ServiceBus__credential', value: 'managedidentity' }
        { name: 'ServiceBus__clientId', value: identity.properties.clientId }
        // The tenant key (secret deid-key).
        { name: 'KeyVault__vaultUri', value: vaultUri }
        { name: 'KeyVault__credential', value: 'managedidentity' }
        { name: 'KeyVault__clientId', value: identity.properties.clientId }
        { name: 'SMED_ENCODER_MODEL_ID', value: encoderModelId }
        // The similarity index: Azure AI Search when deployed (API keys off), else the embedded one.
        { name: 'Search__endpoint', value: searchEndpoint }
        { name: 'Search__credential', value: 'managedidentity' }
        { name: 'Search__clientId', value: identity.properties.clientId }
        { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: insightsConnectionString }
        { name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', value: 'Authorization=AAD;ClientId=${identity.properties.clientId}' }
      ]
    }
  }
}

output functionsAppName string = site.name
output deploymentContainerUrl string = '${hostStorage.properties.primaryEndpoints.blob}${deploymentContainerName}'
