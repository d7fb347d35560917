// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {EnumerableSet} from "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";
import {ConsortiumGated} from "./ConsortiumGated.sol";
import {IConsortium} from "../interfaces/IConsortium.sol";
import {IGatewayDirectory} from "../interfaces/IGatewayDirectory.sol";

/// @title GatewayDirectory
/// @notice Each member's gateway endpoint and transport key (see {IGatewayDirectory}).
/// @dev Not `Pausable`: it moves no value, and gateways must keep finding each other in an incident; a member
/// that misbehaves is suspended in the consortium, which every gateway checks before answering.
contract GatewayDirectory is ConsortiumGated, IGatewayDirectory {
    using EnumerableSet for EnumerableSet.AddressSet;

    /// @inheritdoc IGatewayDirectory
    uint64 public constant MIN_ROTATION_NOTICE = 1 hours;
    uint256 private constant _MAX_ENDPOINT = 256;

    // --- storage ---
    mapping(address member => Gateway) private _gateways;
    EnumerableSet.AddressSet private _members;

    /// @param consortium_ The consortium contract.
    constructor(IConsortium consortium_) ConsortiumGated(consortium_) {}

    // --- external ---

    /// @inheritdoc IGatewayDirectory
    function setGateway(address member, string calldata endpoint, bytes32 transportKey) external onlyConsortium {
        if (!_consortium().isActiveMember(member)) revert GatewayDirectoryNotMember(member);
        if (!_validEndpoint(bytes(endpoint))) revert GatewayDirectoryInvalidEndpoint(endpoint);
        if (transportKey == bytes32(0)) revert GatewayDirectoryInvalidKey(transportKey);
        _gateways[member] = Gateway({
            endpoint: endpoint,
            transportKey: transportKey,
            nextKey: bytes32(0),
            nextFrom: 0,
            updatedAt: uint64(block.timestamp)
        });
        _members.add(member);
        emit GatewaySet(member, endpoint, transportKey);
    }

    /// @inheritdoc IGatewayDirectory
    function removeGateway(address member) external onlyConsortium {
        if (!_members.remove(member)) revert GatewayDirectoryNoGateway(member);
        delete _gateways[member];
        emit GatewayRemoved(member);
    }

    /// @inheritdoc IGatewayDirectory
    function stageTransportKey(bytes32 nextKey, uint64 activeFrom) external {
        if (!_consortium().isActiveMember(msg.sender)) revert GatewayDirectoryNotMember(msg.sender);
        if (!_members.contains(msg.sender)) revert GatewayDirectoryNoGateway(msg.sender);
        Gateway storage g = _gateways[msg.sender];
        if (g.nextKey != bytes32(0) && g.nextFrom <= block.timestamp) {
            // the key staged before applies already: it is the key in force from here on
            g.transportKey = g.nextKey;
        }
        if (nextKey == bytes32(0) || nextKey == g.transportKey) revert GatewayDirectoryInvalidKey(nextKey);
        uint64 earliest = uint64(block.timestamp) + MIN_ROTATION_NOTICE;
        if (activeFrom < earliest) revert GatewayDirectoryRotationTooSoon(activeFrom, earliest);
        g.nextKey = nextKey;
        g.nextFrom = activeFrom;
        g.updatedAt = uint64(block.timestamp);
        emit TransportKeyStaged(msg.sender, g.transportKey, nextKey, activeFrom);
    }

    // --- views ---

    /// @inheritdoc IGatewayDirectory
    function gatewayOf(address member) external view returns (Gateway memory) {
        return _gateways[member];
    }

    /// @inheritdoc IGatewayDirectory
    function currentKey(address member) external view returns (bytes32) {
        if (!_members.contains(member)) revert GatewayDirectoryNoGateway(member);
        Gateway storage g = _gateways[member];
        return g.nextKey != bytes32(0) && g.nextFrom <= block.timestamp ? g.nextKey : g.transportKey;
    }

    /// @inheritdoc IGatewayDirectory
    function members() external view returns (address[] memory) {
        return _members.values();
    }

    // --- private ---

    function _validEndpoint(bytes calldata e) private pure returns (bool) {
        if (e.length < 8 || e.length > _MAX_ENDPOINT) return false;
        return _startsWith(e, "https://") || _startsWith(e, "http://");
    }

    function _startsWith(bytes calldata e, bytes memory prefix) private pure returns (bool) {
        if (e.length < prefix.length) return false;
        for (uint256 i = 0; i < prefix.length; ++i) {
            if (e[i] != prefix[i]) return false;
        }
        return true;
    }
}
