import { Body, Controller, Headers, HttpCode, Ip, Post } from '@nestjs/common';
import { ApiForbiddenResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { PeerFaultAnswer, PeerHoldingsAnswer, PeerSourcesAnswer } from '@rpi-deploy/contracts';
import { bearerToken } from '../auth/auth.guard';
import { DeploymentRoute } from '../listeners/deployment-route.decorator';
import { PeerFaultBody, PeerHoldingsBody, PeerSourcesBody } from './peer-dtos';
import { PeersService } from './peers.service';

/**
 * The tracker, on the deployment listener only (DeploymentRoute): a peer address is only ever
 * learnt from a unit's report there, never on the management side.
 */
@ApiTags('deployment')
@DeploymentRoute()
@Controller('api/peers')
export class PeersController {
  constructor(private readonly peers: PeersService) {}

  @Post('holdings')
  @HttpCode(200)
  @ApiOkResponse({ description: '{ peersInstalling, resend, excluded }' })
  @ApiForbiddenResponse({ description: 'The token belongs to another deployment' })
  @ApiNotFoundResponse({ description: 'Unknown deployment' })
  holdings(
    @Body() body: PeerHoldingsBody,
    @Headers('authorization') authorization: string | undefined,
    @Ip() ip: string,
  ): Promise<PeerHoldingsAnswer> {
    return this.peers.holdings(body, bearerToken(authorization), ip ?? null);
  }

  @Post('sources')
  @HttpCode(200)
  @ApiOkResponse({ description: '{ sources: { <sha256>: [peer URLs] } }; a chunk left out comes from the server' })
  sources(
    @Body() body: PeerSourcesBody,
    @Headers('authorization') authorization: string | undefined,
  ): Promise<PeerSourcesAnswer> {
    return this.peers.sources(body, bearerToken(authorization));
  }

  @Post('faults')
  @HttpCode(200)
  @ApiOkResponse({ description: '{ received: true }; the peer is dropped and the event is on the timeline' })
  fault(
    @Body() body: PeerFaultBody,
    @Headers('authorization') authorization: string | undefined,
  ): Promise<PeerFaultAnswer> {
    return this.peers.fault(body, bearerToken(authorization));
  }
}
