// The ingest Functions app, run as a custom handler (see functions/ and host.json).
//
// Hosting: Elastic Premium (EP1). Custom handlers run on every Functions plan; we chose Premium because it keeps
// instances warm (no cold start for a hospital's first upload of the day), supports VNet integration, and is
// documented for custom handlers on Linux. Flex Consumption was considered: its runtime stack catalogue lists a
// "custom" stack, but we could not confirm from the documentation available to us that custom handlers are
// generally available on Flex, so we do not depend on it. Switching is a plan change plus functionAppConfig.
import { roles } from 'roles.bicep'

param namePrefix string
param hostStorageName string
param location string
param tags object
param identityName string
param dataBlobEndpoint string
param dataQueueEndpoint string
param serviceBusNamespace string
param vaultUri string
param insightsConnectionString string
@description('URL of the published handler package (zip) in a blob the identity can read.')
param packageUrl string

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' existing = {
  name: identityName
}

// The Functions host's own storage (leases, timers): separate from the tenant's data and also key-less.
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
  kind: 'elastic'
  sku: { name: 'EP1', tier: 'ElasticPremium' }
  properties: {
    reserved: true
    maximumElasticWorkerCount: 20
  }
}

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
    siteConfig: {
      linuxFxVersion: ''
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
      appSettings: [
        { name: 'FUNCTIONS_EXTENSION_VERSION', value: '~4' }
        { name: 'FUNCTIONS_WORKER_RUNTIME', value: 'custom' }
        { name: 'AzureWebJobsStorage__accountName', value: hostStorage.name }
        { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' }
        { name: 'AzureWebJobsStorage__clientId', value: identity.properties.clientId }
        // The queue trigger's connection ("TenantStorage" in function.json), identity-based.
        { name: 'TenantStorage__queueServiceUri', value: dataQueueEndpoint }
        { name: 'TenantStorage__blobServiceUri', value: dataBlobEndpoint }
        { name: 'TenantStorage__credential', value: 'managedidentity' }
        { name: 'TenantStorage__clientId', value: identity.properties.clientId }
        { name: 'SMED_SERVICEBUS_NAMESPACE', value: serviceBusNamespace }
        { name: 'SMED_KEY_VAULT_URI', value: vaultUri }
        { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: insightsConnectionString }
        { name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', value: 'ClientId=${identity.properties.clientId};Authorization=AAD' }
        // Linux Premium runs from a package URL without an Azure Files content share (which would need keys).
        { name: 'WEBSITE_RUN_FROM_PACKAGE', value: packageUrl }
        { name: 'WEBSITE_RUN_FROM_PACKAGE_BLOB_MI_RESOURCE_ID', value: identity.id }
      ]
    }
  }
}

output functionsAppName string = site.name
