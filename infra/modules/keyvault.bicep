// Holds the tenant's de-identification key (secret "deid-key", created by scripts/deploy.sh, never by the
// template: a template cannot make a secret without exposing it in the deployment history).
import { roles } from 'roles.bicep'

param vaultName string
param location string
param tags object
param functionsIdentityName string

resource functionsIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' existing = {
  name: functionsIdentityName
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: vaultName
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
    publicNetworkAccess: 'Enabled'
  }
}

resource functionsSecretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, functionsIdentity.id, roles.keyVaultSecretsUser)
  scope: vault
  properties: {
    principalId: functionsIdentity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
  }
}

output vaultUri string = vault.properties.vaultUri
output vaultName string = vault.name
