// Azure AI Search for a tenant whose similarity index outgrows the embedded (USearch) one: deployed when the tenant
// sets enableSearchService. Entra ID only (API keys off, so no admin or query key exists to leak into settings); the
// Functions identity gets a data-plane role on this service alone. Each model's index (an HNSW cosine vector field)
// is created once by the operator with a management role (`smed index --create-search-index`), not by the app.
import { roles } from 'roles.bicep'

param serviceName string
param location string
param tags object
param functionsIdentityName string

@description('Search SKU: basic holds about 15 GB of vectors per partition; standard tiers for more.')
@allowed(['basic', 'standard', 'standard2', 'standard3'])
param sku string = 'basic'

@minValue(1)
param replicaCount int = 1

@minValue(1)
param partitionCount int = 1

resource functionsIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' existing = {
  name: functionsIdentityName
}

resource search 'Microsoft.Search/searchServices@2025-05-01' = {
  name: serviceName
  location: location
  tags: tags
  sku: { name: sku }
  properties: {
    disableLocalAuth: true
    replicaCount: replicaCount
    partitionCount: partitionCount
    hostingMode: 'Default'
    publicNetworkAccess: 'enabled'
    semanticSearch: 'disabled'
  }
}

// Reads and writes documents: the index stage upserts, the similar-study query searches.
resource functionsIndexDataContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(search.id, functionsIdentity.id, roles.searchIndexDataContributor)
  scope: search
  properties: {
    principalId: functionsIdentity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.searchIndexDataContributor)
  }
}

output serviceName string = search.name
output endpoint string = search.properties.endpoint
