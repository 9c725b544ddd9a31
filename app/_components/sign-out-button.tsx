'use client';
import { useRouter } from 'next/navigation';
import { authClient } from '@/app/_lib/auth-client';
import { Button } from './ui';

export function SignOutButton() {
  const router = useRouter();
  return (
    <Button
      variant="secondary"
      onClick={async () => {
        await authClient.signOut();
        router.replace('/sign-in');
        router.refresh();
      }}
    >
      Sign out
    </Button>
  );
}
