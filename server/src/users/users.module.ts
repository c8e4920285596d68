import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { InitialAdmin } from './initial-admin';
import { PasswordHasher } from './password-hasher';
import { SessionEnds } from './session-ends';
import { User } from './user.entity';
import { UserPreferencesController } from './user-preferences.controller';
import { UsersController } from './users.controller';
import { UsersService } from './users.service';

@Module({
  imports: [TypeOrmModule.forFeature([User])],
  controllers: [UserPreferencesController, UsersController],
  providers: [UsersService, PasswordHasher, InitialAdmin, SessionEnds],
  exports: [UsersService, SessionEnds],
})
export class UsersModule {}
